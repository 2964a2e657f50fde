// Placeholder entry; replaced by the CLI (analyze, models, ...).
const [command] = process.argv.slice(2);
if (command === 'models') process.exit(0);
console.error(`auscult: unknown command ${command ?? ''}`);
process.exit(2);

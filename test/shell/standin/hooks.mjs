// Resolves the bare specifier 'electron' to the stand-in (test/shell/main-process.test.ts).
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: new URL('./electron.mjs', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}

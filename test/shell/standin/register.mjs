// `node --import ./register.mjs <main>`: the stand-in 'electron', and the test's driver.
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
await import('./driver.mjs');

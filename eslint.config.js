// ESLint (flat config): typescript-eslint's strict, type-aware rule set over every TypeScript
// file, each checked against its own tsconfig (root, renderer, preload) through the project
// service. Formatting is Prettier's job (`npm run format:check`), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // src/audio/wasm/ is AssemblyScript (compiled to WASM by scripts/build-wasm.mjs), not TypeScript.
  {
    ignores: [
      'dist/**',
      'build/**',
      'out/**',
      'release/**',
      'node_modules/**',
      'models/**',
      '.cache/**',
      'src/audio/wasm/**',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['renderer/vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // noUncheckedIndexedAccess is on: an indexed read inside a bounds-checked loop (the DSP,
      // the tensors) is asserted with `!` where the loop proves it, rather than a run-time check.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers and booleans read fine in messages; objects and nullables still need a decision.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // An async function that does not await still turns a throw into a rejection, which its
      // callers rely on; removing `async` to please this rule would change that.
      '@typescript-eslint/require-await': 'off',
      // `const { limit: _l, ...filter } = p` drops keys on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // A fixture assigned in before() is undefined in after() when before() failed, whatever its
      // declared type: the optional chains there are right. (Shipping code keeps the rule.)
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      // Scripts run in Node: its globals (fetch, Request, URL, …) and, in .cjs, CommonJS's.
      globals: Object.fromEntries(
        [...Object.getOwnPropertyNames(globalThis), 'require', 'module', '__dirname', '__filename'].map((n) => [
          n,
          'readonly',
        ]),
      ),
    },
  },
);

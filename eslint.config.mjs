// ESLint for every workspace's TypeScript: ESLint's and typescript-eslint's recommended rules, type-checked
// (no-floating-promises, no-misused-promises, await-thenable, ...). Formatting is Prettier's alone.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/dist/', 'data_volumes/', 'config_volumes/', '.stack-run/', 'coverage/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Every TypeScript file belongs to one of these (built src/: its workspace's; bench/: its own, not built;
        // the tests, test-support and the configs: the root's).
        project: ['tsconfig.json', '*/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its error (and, in a test, its assertion): the rule this config is for.
      '@typescript-eslint/no-floating-promises': 'error',
      // `_req`, `_next`: parameters express or a callback signature needs, unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // supertest's `res.body`, JSON.parse and parsed YAML are `any` by design; tests assert on their shape instead.
    files: ['**/test/**/*.ts', 'test-support/**/*.ts', 'scripts/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Plain JavaScript (this file, test fixtures) is in no tsconfig: no type-checked rules there.
    files: ['**/*.{js,cjs,mjs}', 'stack/*.mts'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { require: 'readonly', process: 'readonly', module: 'writable', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);

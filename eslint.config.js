import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['bin/**', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // The Marketplace UI runs in browsers.
    files: ['src/ui/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Type-checks `import x = require()`, the CommonJS consumer's form.
    files: ['test/package/fixtures/*.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

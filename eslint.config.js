// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.dev/', '.cache/', 'packages/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Entry points and tests talk to a terminal; library code logs through pino.
    files: [
      'cli.ts',
      'bridge/cli.ts',
      'config/sample-cli.ts',
      'dev/cli.ts',
      'dev/demo/**',
      'test/**',
      'bench/**',
      'scripts/**',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    // Scripts of the dev stack's pages run in the browser.
    files: ['dev/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
  prettier,
);

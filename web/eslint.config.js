// ESLint flat config for the page (web/public/js, browser ES modules), its unit
// tests (web/test, node) and the browser tests (web/e2e, node + playwright).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/**'] },
  js.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
      'no-implicit-globals': 'error',
      'no-shadow': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  { files: ['public/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['test/**/*.js', 'eslint.config.js'], languageOptions: { globals: { ...globals.node } } },
  // The browser tests run in node and hand functions to the page (page.evaluate).
  { files: ['e2e/**/*.js'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
];

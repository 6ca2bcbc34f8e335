// ESLint (flat config) with typescript-eslint's recommended rules; formatting is Prettier's job
// (.prettierrc.json), so eslint-config-prettier turns off the rules that would fight it.
// `npm run lint` checks; `npm run lint:fix` fixes what can be fixed and formats.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'out/', '.cache/', 'node_modules/', 'test-results/', '.scratch/', 'training/', '**/*.vsix'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a parameter a signature needs but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // The extension-host suite is CommonJS loaded by VS Code; the UI checks run some code in the browser page.
  { files: ['test/e2e/suite/**/*.js'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['test/e2e/**/*.mjs'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
);

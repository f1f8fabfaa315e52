import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/results/**', '.native/**', 'src-main/**/wasm/**', 'src-main/**/*.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] }, globals: globals.browser },
  },
  {
    files: ['src-main/**', 'scripts/**', 'bin/**', 'bench/**', 'test/**', '*.config.*'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  {
    // layering (STYLE.md): the engine never imports Electron, Vue or a transport
    files: ['src-main/engine/**', 'src-shared/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'vue', 'pinia', 'vue-router'], message: 'The engine and the contract must not depend on Electron or Vue.' },
        { group: ['**/server/**', '**/electron/**', '**/api/**', '**/src-renderer/**'], message: 'Lower layers never import higher ones.' },
      ] }],
    },
  },
  {
    files: ['src-renderer/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/src-main/**', 'electron', 'node:*', 'better-sqlite3'], message: 'The renderer imports only src-shared and its own files.' },
      ] }],
    },
  },
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { moduleBoundaries } from './eslint/module-boundaries.js';

export default tseslint.config(
  { ignores: ['**/node_modules/', '**/dist/', '.switchyard/', 'coverage/', 'test/fixtures/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Package boundaries and the src/ module graph written in docs/ARCHITECTURE.md.
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { switchyard: moduleBoundaries },
    rules: { 'switchyard/module-boundaries': 'error' },
  },
  {
    // The runtime package must stay dependency-free and quiet: only the CLI prints.
    files: ['packages/runtime/src/**/*.ts', 'src/config/**/*.ts', 'src/bundle/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
);

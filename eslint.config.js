import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // examples/*: an app a user installed or built there has its own node_modules and output.
  { ignores: ['dist', 'storybook-static', 'playground/dist', 'node_modules', 'bench', '.syncline-data', 'examples/*/node_modules', 'examples/*/dist', 'examples/*/.next', 'examples/*/next-env.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The core must stay framework-agnostic: React lives only in src/react.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['react', 'react-dom', 'react/*', '../react/*', '../../react/*'] }],
    },
  },
  {
    // The wire layer is shared by the browser client and the Node server: only the
    // language and its own files, no runtime or codec package.
    files: ['src/wire/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'ws', 'bs58check', 'cbor-x', 'react', 'react-dom', 'react/*', '../*', '!./*'] },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly' } },
  },
)

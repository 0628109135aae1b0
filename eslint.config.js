// Type-aware lint: floating promises are errors everywhere, and workflow code may not
// reach for Node built-ins (the workflow sandbox must stay deterministic).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs', 'fs/promises', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'process',
  'timers', 'stream', 'readline', 'dns', 'url', 'util', 'worker_threads',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', '.scratch/**', 'bench/tmp/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'examples/**/data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((name) => [
          { name, message: 'Workflow code must be deterministic: do I/O in an activity.' },
          { name: `node:${name}`, message: 'Workflow code must be deterministic: do I/O in an activity.' },
        ]),
        patterns: [{ group: ['../activities/**'], allowTypeImports: true, message: 'Workflows import activity types only, through proxyActivities.' }],
      }],
      'no-console': 'error',
    },
  },
);

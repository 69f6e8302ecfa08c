// Temporal guard rails: workflow code is replayed, so it must not touch Node builtins or I/O,
// and an un-awaited promise anywhere is a lost side effect.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import prettierConfig from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'infrastructure/db/migrations/**',
      'coverage/**',
      '**/*.cjs',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'Workflow code is deterministic: no Node builtins (use an activity).',
          })),
          patterns: [
            {
              group: ['../infrastructure/*', '../api/*', '../bot/*'],
              message: 'Workflows import only @temporalio/workflow, domain/ and types from activities/.',
            },
          ],
        },
      ],
    },
  },
  // Layers (README, "Architecture"): each block names what its layer may not import.
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./', message: 'domain/ is pure: it imports nothing outside domain/.' }] },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(infrastructure/temporal|workflows)(/|$)',
              message: 'Activities reach workflows only through the WorkflowPort in activities/deps.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bot/**/*.ts', 'api/**/*.ts', 'ops/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // activities/channel-health is the one shared write: the bot records outages it sees itself.
              regex: '(^|/)activities(/(?!channel-health$|deps$)|$)',
              message: 'The edges read through infrastructure/read-models/ and act through commands, not activities/.',
            },
            {
              regex: '(^|/)activities/deps$',
              allowTypeImports: true,
              message: "Only the type of the activities' inputs may be imported from activities/deps.",
            },
          ],
        },
      ],
    },
  },
  prettierConfig,
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
);

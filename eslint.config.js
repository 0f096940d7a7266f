// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pureFolders = ['src/compiler/**', 'src/planner/**', 'src/schema/**', 'src/observe/stats/**'];

/** The rules of recommendedTypeChecked that need type information. */
const typeAwareRules = Object.entries(tseslint.configs.recommendedTypeChecked.at(-1)?.rules ?? {})
  .filter(([, v]) => v !== 'off')
  .map(([name]) => name)
  .filter((name) => {
    const rule = tseslint.plugin.rules?.[name.replace('@typescript-eslint/', '')];
    return Boolean(
      rule &&
      /** @type {{ docs?: { requiresTypeChecking?: boolean } }} */ (rule.meta).docs?.requiresTypeChecking,
    );
  });

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.rudder/**',
      'bench/.out/**',
      'coverage/**',
      'src/schema/types.generated.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  // Type-aware rules hold all of src/ to errors.
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['src/**/*.ts'] })),
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: Object.fromEntries(typeAwareRules.map((r) => [r, 'error'])),
  },
  {
    // The pure core: no I/O, no native or heavy runtime dependencies (STYLE.md section 1).
    files: pureFolders,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', '@tensorflow/*', '@duckdb/*', 'simple-git'],
              message: 'Pure modules do no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bench/**', 'scripts/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The MCP stdio server owns stdout: one console.log corrupts the protocol.
    files: ['src/mcp/**'],
    rules: { 'no-console': ['error', { allow: ['error'] }] },
  },
);

// Layering, checked by `npm run lint` (docs/architecture.md, "Layering"). Type-only imports are
// not dependencies at run time and are not checked (tsPreCompilationDeps: false).
const PURE =
  '^src/(compiler|planner|diagnostics|schema|rollout)/|^src/observe/(observations|profile\\.ts$|stats/)|^src/executor/transitions\\.ts$|^src/state/(lock-paths|canonical|types|lock-types\\.generated)\\.ts$|^src/util/canonical\\.ts$';
const IO_PACKAGES =
  'node_modules/(@duckdb|@tensorflow|simple-git|@octokit|execa|onnxruntime-node|@aws-sdk|fastify|proper-lockfile|p-queue)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'pure-core-no-io',
      comment:
        'The pure core (compiler, planner, diagnostics, schema, drift statistics, lock transitions) does no I/O.',
      severity: 'error',
      from: { path: PURE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-core-no-io-packages',
      severity: 'error',
      from: { path: PURE },
      to: { path: IO_PACKAGES },
    },
    {
      name: 'pure-core-only-pure-modules',
      comment: 'A pure module imports only other pure modules (and pure packages).',
      severity: 'error',
      from: { path: PURE },
      to: {
        path: '^src/',
        pathNot: `${PURE}|^src/util/|^src/source/(parse-documents|source-doc)\\.ts$|^src/state/(lockfile|lock-schema|migrations|errors)\\.ts$|^src/store/port\\.ts$|^src/prediction-log/port\\.ts$|^src/trainer/(evaluation/(gates|metrics)|model-spec)\\.ts$`,
      },
    },
    {
      name: 'no-upward-from-planner-and-compiler',
      comment: 'The planner and the compiler sit at the bottom: nothing above them is imported.',
      severity: 'error',
      from: { path: '^src/(planner|compiler)/' },
      to: {
        path: '^src/(executor|cli|mcp|github|serving|git|store/duckdb|trainer/(tfjs|command|onnx)/|artifacts/(local|s3)|api|compose)',
      },
    },
    {
      name: 'no-upward-from-state',
      comment:
        'state/ reads and writes lockfiles; it does not reach up into the executor, git or the front ends.',
      severity: 'error',
      from: { path: '^src/state/' },
      to: { path: '^src/(executor|cli|mcp|github|serving|git/git|api|compose)' },
    },
    {
      name: 'executor-takes-ports',
      comment: 'The executor gets git, the trainers, the artifact store and the feature store as ports.',
      severity: 'error',
      from: { path: '^src/executor/' },
      to: {
        path: '^src/(git/git|trainer/(tfjs/|command/|onnx/|default-trainer)|artifacts/(local|s3)|store/(open-store|duckdb/)|cli|mcp|api|compose)',
      },
    },
    {
      name: 'cli-through-api',
      comment: 'CLI commands parse arguments and render; everything they do goes through src/api.ts.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: {
        path: '^src/(executor|store|trainer|state/(?!types)|git|compose|observe/(?!observations)|artifacts|serving|github)',
      },
    },
    {
      name: 'api-files-independent',
      comment:
        'Each file of src/api/ is one group of entries; what groups share lives in src/compose/. Only index.ts re-exports them.',
      severity: 'error',
      from: { path: '^src/api/(?!index\\.ts$)' },
      to: { path: '^src/api/' },
    },
    {
      name: 'compose-is-the-root',
      comment:
        'src/compose/ picks the adapters (the composition root); the layers below take them as ports and never import it, the api or a front end.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(compose|api|cli|mcp)/' },
      to: { path: '^src/(compose|api|cli|mcp)/' },
    },
    {
      name: 'no-circular',
      severity: 'warn',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|test|bench|scripts)/' },
  },
};

// Opens the feature store a project describes (`rudder.yaml` → `store.type`). One entry per
// engine; each returns the core port plus the capabilities it supports.
import type { DesiredState, Project } from '../compiler/desired-state.ts';
import { DuckDBFeatureStore } from './duckdb/duckdb-store.ts';
import type { FullFeatureStore } from './port.ts';

export interface OpenStoreOptions {
  /** Quarantine ids the data locks record as released. */
  releasedQuarantines?: Iterable<string>;
  clock?: () => Date;
  env?: NodeJS.ProcessEnv;
  /** Overrides `project.store.path` (tests, benchmarks). */
  path?: string;
}

type StoreType = Project['store']['type'];

/** How to open each engine. Adding an engine: its adapter under src/store/<engine>/ and one line here. */
const engines: {
  [T in StoreType]: (root: string, state: DesiredState, opts: OpenStoreOptions) => Promise<FullFeatureStore>;
} = {
  duckdb: (root, state, opts) =>
    DuckDBFeatureStore.open({
      root,
      path: opts.path ?? state.project.store.path,
      policies: state.dataPolicies,
      models: state.models,
      releasedQuarantines: opts.releasedQuarantines,
      clock: opts.clock,
      env: opts.env,
    }),
};

/**
 * The feature store a compiled policy set describes, with its data policies enforced on every
 * read. What the CLI, the executor and the MCP server should call; close it when done.
 */
export function openFeatureStore(
  root: string,
  state: DesiredState,
  opts: OpenStoreOptions = {},
): Promise<FullFeatureStore> {
  return engines[state.project.store.type](root, state, opts);
}

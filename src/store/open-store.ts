import type { DesiredState } from '../compiler/desired-state.ts';
import { DuckDBFeatureStore } from './duckdb/duckdb-store.ts';

export interface OpenStoreOptions {
  /** Quarantine ids the data locks record as released. */
  releasedQuarantines?: Iterable<string>;
  clock?: () => Date;
  env?: NodeJS.ProcessEnv;
  /** Overrides `project.store.path` (tests, benchmarks). */
  path?: string;
}

/**
 * The feature store a compiled policy set describes, with its data policies enforced on every
 * read. What the CLI, the executor and the MCP server should call; close it when done.
 */
export function openFeatureStore(
  root: string,
  state: DesiredState,
  opts: OpenStoreOptions = {},
): Promise<DuckDBFeatureStore> {
  return DuckDBFeatureStore.open({
    root,
    path: opts.path ?? state.project.store.path,
    policies: state.dataPolicies,
    models: state.models,
    releasedQuarantines: opts.releasedQuarantines,
    clock: opts.clock,
    env: opts.env,
  });
}

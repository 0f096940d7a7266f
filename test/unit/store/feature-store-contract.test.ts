// The FeatureStore contract, run against the DuckDB adapter on a real database file. Another
// engine's adapter runs the same suites by passing its own factory.

import { DuckDBFeatureStore } from '../../../src/store/duckdb/duckdb-store.ts';
import {
  coreContract,
  dataPolicyContract,
  type FeatureStoreFactory,
  onlineContract,
} from './feature-store-contract.ts';

const duckdb: FeatureStoreFactory<DuckDBFeatureStore> = {
  name: 'DuckDB (.rudder/store.duckdb)',
  open: (root, state, opts) =>
    DuckDBFeatureStore.open({
      root,
      path: '.rudder/store.duckdb',
      policies: state.dataPolicies,
      models: state.models,
      releasedQuarantines: opts?.releasedQuarantines,
      env: { RUDDER_PII_SALT: 'contract-salt-0123456789' },
      threads: 1,
    }),
};

coreContract(duckdb);
dataPolicyContract(duckdb);
onlineContract(duckdb);

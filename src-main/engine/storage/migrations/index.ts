import initial from './001_initial';
import datasetStatus from './002_dataset_status';
import modelStatus from './003_model_status';
import outcomes from './004_outcomes';
import ownership from './005_ownership';
import designQueries from './006_design_queries';
import recordIndex from './007_record_index';
import runNotes from './008_run_notes';
import queryBatches from './009_query_batches';
import queryLeaders from './010_query_leaders';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered, append-only: never edit a released migration, add the next one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'dataset_status', sql: datasetStatus },
  { version: 3, name: 'model_status', sql: modelStatus },
  { version: 4, name: 'outcomes', sql: outcomes },
  { version: 5, name: 'ownership', sql: ownership },
  { version: 6, name: 'design_queries', sql: designQueries },
  { version: 7, name: 'record_index', sql: recordIndex },
  { version: 8, name: 'run_notes', sql: runNotes },
  { version: 9, name: 'query_batches', sql: queryBatches },
  { version: 10, name: 'query_leaders', sql: queryLeaders },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

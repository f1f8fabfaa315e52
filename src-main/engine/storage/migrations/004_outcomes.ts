// Outcomes and the learned outcome model. Every ground-truth query stores its outcome: the
// environment's task-independent summary of the final state (FluidTool-2D: centroid, total
// variance, 32 x 32 density of the water), little-endian float32, so the queries a project makes
// become training data for an outcome model; rows written before this migration have none.
// models.kind gains 'outcome': SQLite cannot change a CHECK, so the table is rebuilt (the
// migration runs with foreign keys off and checks them before it commits).
export default `
ALTER TABLE simulator_queries ADD COLUMN outcome BLOB CHECK (outcome IS NULL OR length(outcome) % 4 = 0);

CREATE TABLE models_new (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind       TEXT    NOT NULL CHECK (kind IN ('simulator','diffusion','outcome')),
  name       TEXT    NOT NULL,
  config     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  metrics    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
  files      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(files)),
  dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  job_id     INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  status     TEXT    NOT NULL DEFAULT 'ready' CHECK (status IN ('training', 'ready', 'interrupted', 'failed')),
  updated_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO models_new (id, project_id, kind, name, config, metrics, files, dataset_id, job_id, created_at, status, updated_at)
  SELECT id, project_id, kind, name, config, metrics, files, dataset_id, job_id, created_at, status, updated_at FROM models;
DROP TABLE models;
ALTER TABLE models_new RENAME TO models;
CREATE INDEX models_project ON models(project_id, kind);
`;

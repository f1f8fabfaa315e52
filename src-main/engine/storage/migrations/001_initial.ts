// Initial schema. Times are Unix milliseconds; designs and tasks are float32 BLOBs
// (little-endian, length = dimension × 4); JSON columns are checked with json_valid.
export default `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE projects (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  environment  TEXT    NOT NULL,
  settings     TEXT    NOT NULL CHECK (json_valid(settings)),
  design_space TEXT    NOT NULL CHECK (json_valid(design_space)),
  task_space   TEXT    NOT NULL CHECK (json_valid(task_space)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  kind        TEXT    NOT NULL,
  params      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
  status      TEXT    NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled','interrupted')),
  progress    REAL    NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  message     TEXT,
  error       TEXT,
  result      TEXT CHECK (result IS NULL OR json_valid(result)),
  checkpoint  TEXT,
  created_at  INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX jobs_status ON jobs(status);
CREATE INDEX jobs_project ON jobs(project_id, id);

CREATE TABLE datasets (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name       TEXT    NOT NULL,
  kind       TEXT    NOT NULL CHECK (kind IN ('physics','optimization')),
  source     TEXT    NOT NULL,
  stats      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(stats)),
  job_id     INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX datasets_project ON datasets(project_id);

CREATE TABLE optimization_records (
  id         INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  run        TEXT    NOT NULL,
  optimizer  TEXT    NOT NULL,
  task       BLOB    NOT NULL,
  iteration  INTEGER NOT NULL CHECK (iteration >= 0),
  design     BLOB    NOT NULL,
  cost       REAL    NOT NULL
);
CREATE INDEX optimization_records_run ON optimization_records(dataset_id, run, iteration);

CREATE TABLE physics_trajectories (
  id             INTEGER PRIMARY KEY,
  dataset_id     INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  design         BLOB    NOT NULL,
  task           BLOB,
  frames         INTEGER NOT NULL CHECK (frames > 0),
  particles      INTEGER NOT NULL CHECK (particles > 0),
  dims           INTEGER NOT NULL DEFAULT 2,
  positions      BLOB    NOT NULL CHECK (length(positions) = frames * particles * dims * 4),
  particle_types BLOB    NOT NULL CHECK (length(particle_types) = particles),
  cost           REAL,
  capture        REAL
);
CREATE INDEX physics_trajectories_dataset ON physics_trajectories(dataset_id);

CREATE TABLE models (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind       TEXT    NOT NULL CHECK (kind IN ('simulator','diffusion')),
  name       TEXT    NOT NULL,
  config     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  metrics    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
  files      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(files)),
  dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  job_id     INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX models_project ON models(project_id, kind);

CREATE TABLE designs (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  method     TEXT    NOT NULL,
  run        TEXT,
  design     BLOB    NOT NULL,
  task       BLOB    NOT NULL,
  cost       REAL,
  capture    REAL,
  costs      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(costs)),
  model_id   INTEGER REFERENCES models(id) ON DELETE SET NULL,
  provenance TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(provenance)),
  created_at INTEGER NOT NULL
);
CREATE INDEX designs_project_cost ON designs(project_id, cost);

CREATE TABLE simulator_queries (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  design     BLOB    NOT NULL,
  task       BLOB    NOT NULL,
  simulator  TEXT    NOT NULL CHECK (simulator IN ('ground_truth','learned')),
  model_id   INTEGER REFERENCES models(id) ON DELETE SET NULL,
  cost       REAL    NOT NULL,
  capture    REAL,
  wall_ms    REAL    NOT NULL CHECK (wall_ms >= 0),
  method     TEXT    NOT NULL,
  run        TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX simulator_queries_project_cost ON simulator_queries(project_id, cost);
`;

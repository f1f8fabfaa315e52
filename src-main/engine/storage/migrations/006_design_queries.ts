// Designs name the simulator query that scored them in a column, query_id (a foreign key), no
// longer in provenance.queryId: rows written before this migration get it from their provenance
// (where that query exists in the same project), and provenance loses the key. The designs table
// is rebuilt for it (SQLite cannot add a column in the middle), without the never-written
// "costs"; jobs loses the never-written "checkpoint" (model checkpoints are files, see models/).
// designs_query serves the foreign key (deleting queries looks their designs up by it),
// designs_project_run and designs_project_job the listing of one run's or one job's designs (the
// job stays in provenance.jobId, indexed by that expression: DesignStore filters on exactly it).
export default `
CREATE TABLE designs_new (
  id         INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  method     TEXT    NOT NULL,
  run        TEXT,
  design     BLOB    NOT NULL,
  task       BLOB    NOT NULL,
  cost       REAL,
  capture    REAL,
  model_id   INTEGER REFERENCES models(id) ON DELETE SET NULL,
  query_id   INTEGER REFERENCES simulator_queries(id) ON DELETE SET NULL,
  provenance TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(provenance)),
  created_at INTEGER NOT NULL
);
INSERT INTO designs_new (id, project_id, method, run, design, task, cost, capture, model_id, query_id, provenance, created_at)
  SELECT d.id, d.project_id, d.method, d.run, d.design, d.task, d.cost, d.capture, d.model_id,
    (SELECT q.id FROM simulator_queries q WHERE q.id = json_extract(d.provenance, '$.queryId') AND q.project_id = d.project_id),
    json_remove(d.provenance, '$.queryId'), d.created_at
  FROM designs d;
DROP TABLE designs;
ALTER TABLE designs_new RENAME TO designs;
CREATE INDEX designs_project_cost ON designs(project_id, cost);
CREATE INDEX designs_project_run ON designs(project_id, run, id);
CREATE INDEX designs_query ON designs(query_id);
CREATE INDEX designs_project_job ON designs(project_id, json_extract(provenance, '$.jobId'));

ALTER TABLE jobs DROP COLUMN checkpoint;
`;

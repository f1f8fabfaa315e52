// Datasets are written while a job runs: "building" until it finishes, "incomplete" when the
// job stopped early (what was written stays usable), "ready" otherwise.
export default `
ALTER TABLE datasets ADD COLUMN status TEXT NOT NULL DEFAULT 'ready'
  CHECK (status IN ('building', 'ready', 'incomplete'));
CREATE INDEX simulator_queries_project_id ON simulator_queries(project_id, id);
`;

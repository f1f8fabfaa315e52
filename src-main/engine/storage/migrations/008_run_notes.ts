// The user's own name and note on a run (an optimize or sample job), shown and edited in the
// Runs tab. One row per annotated job; deleting the job (or its project) deletes it.
export default `
CREATE TABLE run_notes (
  job_id     INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name       TEXT CHECK (name IS NULL OR length(name) BETWEEN 1 AND 100),
  note       TEXT CHECK (note IS NULL OR length(note) BETWEEN 1 AND 4000),
  updated_at INTEGER NOT NULL
);
CREATE INDEX run_notes_project ON run_notes(project_id);
`;

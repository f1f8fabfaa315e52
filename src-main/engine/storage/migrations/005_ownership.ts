// Several processes share one data folder (the desktop app, `idw` commands, browser mode). Each
// open workbench registers itself in "owners" (process id, host, a random token) and refreshes
// heartbeat_at every few seconds; the work it starts carries its token: jobs.owner, and
// datasets.owner for what it writes outside a job (an import in progress). Only work whose
// owner is gone (its row missing, its heartbeat stale, or its pid dead on this host) is marked
// interrupted or cleaned up by another process. Rows written before this migration have no
// owner and count as orphaned.
export default `
CREATE TABLE owners (
  token        TEXT    PRIMARY KEY,
  pid          INTEGER NOT NULL,
  host         TEXT    NOT NULL,
  mode         TEXT    NOT NULL,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE datasets ADD COLUMN owner TEXT;
CREATE INDEX datasets_status ON datasets(status);
`;

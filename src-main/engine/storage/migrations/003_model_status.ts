// Models are written while a training job runs: "training" until it finishes, "interrupted"
// when it stopped early (its last checkpoint can be resumed), "failed", or "ready".
export default `
ALTER TABLE models ADD COLUMN status TEXT NOT NULL DEFAULT 'ready'
  CHECK (status IN ('training', 'ready', 'interrupted', 'failed'));
ALTER TABLE models ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
`;

// Ground-truth queries answered by queue workers (compute/queue.ts) carry the batch they came in
// and their place in it. The owning process writes a batch in one transaction; the unique index
// makes a batch written twice (a retried batch, a wait resumed after Redis came back) write its
// rows once. Queries answered locally have neither (NULL: outside the index).
export default `
ALTER TABLE simulator_queries ADD COLUMN batch_id TEXT;
ALTER TABLE simulator_queries ADD COLUMN batch_index INTEGER;
CREATE UNIQUE INDEX simulator_queries_batch ON simulator_queries(batch_id, batch_index) WHERE batch_id IS NOT NULL;
`;

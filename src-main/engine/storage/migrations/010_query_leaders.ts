// Each project's cheapest queries (QUERY_LEADERS of them, fewer when the project has fewer) in a
// small table of their own, instead of an index on (project_id, cost) over every query. Costs
// arrive in random order, so that index took one write to a random page per query stored: a
// batch of 100 queries wrote about 100 pages of it, and inserts ran at 60,000 rows/s. The
// leaders table takes a write only for a query cheaper than the project's current leaders, which
// grows rarer as a project grows. QueryStore keeps it (record), serves the cheapest-first views
// from it (bestByCost, list sorted by cost) and reads past it only for pages beyond it.
//
// Invariant: for each project, query_leaders holds exactly its min(n, 1024) cheapest queries in
// (cost, id) order, and query_leader_counts how many that is (so a batch learns whether the
// project's leaders are full without counting them). A project's deletion cascades; a single
// query deleted from the leaders (the app never does so, but SQL may) is replaced by the next
// cheapest, so the invariant holds.
export default `
CREATE TABLE query_leaders (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  cost       REAL    NOT NULL,
  id         INTEGER NOT NULL,
  PRIMARY KEY (project_id, cost, id)
) WITHOUT ROWID;
INSERT INTO query_leaders (project_id, cost, id)
  SELECT project_id, cost, id FROM (
    SELECT project_id, cost, id, ROW_NUMBER() OVER (PARTITION BY project_id ORDER BY cost, id) AS r FROM simulator_queries
  ) WHERE r <= 1024;
CREATE TABLE query_leader_counts (
  project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  n          INTEGER NOT NULL CHECK (n >= 0)
);
INSERT INTO query_leader_counts (project_id, n) SELECT project_id, COUNT(*) FROM query_leaders GROUP BY project_id;
DROP INDEX simulator_queries_project_cost;
CREATE TRIGGER query_leaders_refill AFTER DELETE ON simulator_queries
  WHEN EXISTS (SELECT 1 FROM projects WHERE id = OLD.project_id)
   AND EXISTS (SELECT 1 FROM query_leaders WHERE project_id = OLD.project_id AND cost = OLD.cost AND id = OLD.id)
BEGIN
  DELETE FROM query_leaders WHERE project_id = OLD.project_id AND cost = OLD.cost AND id = OLD.id;
  INSERT INTO query_leaders (project_id, cost, id)
    SELECT project_id, cost, id FROM simulator_queries
    WHERE project_id = OLD.project_id
      AND (cost, id) > (SELECT cost, id FROM query_leaders WHERE project_id = OLD.project_id ORDER BY cost DESC, id DESC LIMIT 1)
    ORDER BY cost, id LIMIT 1;
  UPDATE query_leader_counts SET n = (SELECT COUNT(*) FROM query_leaders WHERE project_id = OLD.project_id) WHERE project_id = OLD.project_id;
END;
`;

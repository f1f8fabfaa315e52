// Each project's cheapest queries (256 of them, fewer when the project has fewer) in a small
// table of their own, instead of an index on (project_id, cost) over every query. Costs arrive in
// random order, so that index took one write to a random page per query stored: a batch of 100
// queries wrote about 100 pages of it, and inserts ran at 60,000 rows/s. The leaders table takes
// a write only for a query cheaper than the project's last leader, which grows rarer as a project
// grows. QueryStore serves the cheapest-first views from it (bestByCost, list sorted by cost) and
// reads past it only for pages beyond it. (Triggers that kept it on every insert, whoever wrote,
// run a trigger program per row: 79,000-117,000 rows/s at batches of 100 in bench:store, against
// 143,000-151,000 with QueryStore's upkeep; so QueryStore keeps it.)
//
// Invariant: for each project, query_leaders holds exactly the min(n, 256) cheapest, in (cost,
// id) order, of its queries with id <= query_leader_counts.upto, and query_leader_counts.n how
// many that is. QueryStore keeps it in the transaction that writes a batch, and brings a project
// up to date before it reads the leaders (queries written by plain SQL or another tool: those past
// upto). A leader deleted by SQL (the app deletes queries only with their project, which
// cascades) is replaced by the next cheapest, by a trigger.
export default `
CREATE TABLE query_leaders (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  cost       REAL    NOT NULL,
  id         INTEGER NOT NULL,
  PRIMARY KEY (project_id, cost, id)
) WITHOUT ROWID;
CREATE TABLE query_leader_counts (
  project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  n          INTEGER NOT NULL CHECK (n >= 0 AND n <= 256),
  upto       INTEGER NOT NULL
);
INSERT INTO query_leaders (project_id, cost, id)
  SELECT project_id, cost, id FROM (
    SELECT project_id, cost, id, ROW_NUMBER() OVER (PARTITION BY project_id ORDER BY cost, id) AS r FROM simulator_queries
  ) WHERE r <= 256;
INSERT INTO query_leader_counts (project_id, n, upto)
  SELECT l.project_id, COUNT(*), (SELECT MAX(id) FROM simulator_queries q WHERE q.project_id = l.project_id) FROM query_leaders l GROUP BY l.project_id;
DROP INDEX simulator_queries_project_cost;

CREATE TRIGGER query_leaders_refill AFTER DELETE ON simulator_queries
  WHEN EXISTS (SELECT 1 FROM projects WHERE id = OLD.project_id)
   AND EXISTS (SELECT 1 FROM query_leaders WHERE project_id = OLD.project_id AND cost = OLD.cost AND id = OLD.id)
BEGIN
  DELETE FROM query_leaders WHERE project_id = OLD.project_id AND cost = OLD.cost AND id = OLD.id;
  INSERT OR IGNORE INTO query_leaders (project_id, cost, id)
    SELECT project_id, cost, id FROM simulator_queries
    WHERE project_id = OLD.project_id
      AND id <= (SELECT upto FROM query_leader_counts WHERE project_id = OLD.project_id)
      AND (cost, id) > (SELECT cost, id FROM query_leaders WHERE project_id = OLD.project_id ORDER BY cost DESC, id DESC LIMIT 1)
    ORDER BY cost, id LIMIT 1;
  UPDATE query_leader_counts SET n = (SELECT COUNT(*) FROM query_leaders WHERE project_id = OLD.project_id) WHERE project_id = OLD.project_id;
END;
`;

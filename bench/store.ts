// npm run bench:store: simulator_queries insert throughput, best-100-by-cost latency among
// 1,000,000 rows, the stored designs lookup in a project of 50,000 ground-truth queries with
// outcomes, and the API round trip in browser mode. Prints figures, writes
// bench/results/store.json.
import { request, Agent } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../src-main/api/handlers';
import { dispatch } from '../src-main/api/dispatch';
import { QUERY_LEADERS, type SimulatorQuery } from '../src-main/engine/storage/queries';
import { storedDesignsFor } from '../src-main/engine/outcome/stored-designs';
import { Workbench } from '../src-main/engine/workbench';
import { startBrowserServer } from '../src-main/server/browser-server';
import { summarize, writeResults } from './report';

const TOTAL = Number(process.env.BENCH_ROWS ?? 1_000_000);
const STORED = Number(process.env.BENCH_STORED_ROWS ?? 50_000);
const DIM = 8;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function makeBatch(projectIds: number[], size: number, rand: () => number): SimulatorQuery[] {
  const batch: SimulatorQuery[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const design = new Float32Array(DIM);
    for (let d = 0; d < DIM; d++) design[d] = rand() * 2 - 1;
    batch[i] = {
      projectId: projectIds[i % projectIds.length]!,
      design,
      task: Float32Array.of(0.15 + rand() * 0.7, 0.05 + rand() * 0.3),
      simulator: i % 2 ? 'learned' : 'ground_truth',
      cost: rand(),
      capture: rand(),
      wallMs: 5 + rand() * 100,
      method: 'bench',
      run: `run-${i % 64}`,
    };
  }
  return batch;
}

function post(agent: Agent, port: number, token: string, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path: `/api/${method}`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-idw-token': token } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'idw-bench-store-'));
  const wb = new Workbench({ dataDir: dir, mode: 'cli' });
  try {
    const projects = [0, 1, 2, 3].map((i) => wb.projects.create({ name: `bench ${i}`, environment: 'fluidtool-2d', settings: {} }).id);
    const rand = rng(42);

    // 1. insert throughput by batch size (each batch one transaction, as jobs write them)
    const insert: Record<string, { rows: number; seconds: number; rowsPerSecond: number }> = {};
    let written = 0;
    for (const batchSize of [100, 1_000, 10_000]) {
      const rows = batchSize === 10_000 ? TOTAL - written - 0 : Math.min(100_000, TOTAL / 10);
      const batches = Math.max(1, Math.floor(rows / batchSize));
      const prepared = Array.from({ length: Math.min(batches, 10) }, () => makeBatch(projects, batchSize, rand));
      const t0 = performance.now();
      for (let b = 0; b < batches; b++) wb.queries.record(prepared[b % prepared.length]!);
      const seconds = (performance.now() - t0) / 1000;
      written += batches * batchSize;
      insert[`batch${batchSize}`] = { rows: batches * batchSize, seconds: Number(seconds.toFixed(3)), rowsPerSecond: Math.round((batches * batchSize) / seconds) };
      console.log(`insert  batch ${String(batchSize).padStart(6)}: ${insert[`batch${batchSize}`]!.rowsPerSecond.toLocaleString('en')} rows/s (${batches * batchSize} rows)`);
    }
    // the worst case for the leaders table: every query cheaper than every one before it (an
    // optimizer improving without a pause), so each enters its project's leaders and pushes one out
    {
      const batches = 1_000;
      const falling = Array.from({ length: batches }, () => makeBatch(projects, 100, rand));
      let c = 0;
      for (const b of falling) for (const q of b) q.cost = -1 - 1e-6 * c++;
      const t0 = performance.now();
      for (const b of falling) wb.queries.record(b);
      const seconds = (performance.now() - t0) / 1000;
      insert.batch100Falling = { rows: batches * 100, seconds: Number(seconds.toFixed(3)), rowsPerSecond: Math.round((batches * 100) / seconds) };
      console.log(`insert  batch    100, costs falling (every query a new leader): ${insert.batch100Falling.rowsPerSecond.toLocaleString('en')} rows/s`);
    }
    const total = (wb.db.prepare('SELECT COUNT(*) AS n FROM simulator_queries').get() as { n: number }).n;
    wb.db.pragma('wal_checkpoint(TRUNCATE)');
    wb.db.exec('ANALYZE');
    const dbBytes = statSync(wb.databasePath).size;
    console.log(`table   ${total.toLocaleString('en')} rows, database ${(dbBytes / 2 ** 20).toFixed(1)} MiB`);

    // 2. best 100 by cost for one project among all rows, decoded as the API returns them
    const target = projects[0]!;
    for (let i = 0; i < 20; i++) wb.queries.bestByCost(target, 100);
    const best: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      const rows = wb.queries.bestByCost(target, 100);
      best.push(performance.now() - t0);
      if (rows.length !== 100) throw new Error('expected 100 rows');
    }
    const bestMs = summarize(best);
    const plan = (wb.db.prepare('EXPLAIN QUERY PLAN SELECT q.* FROM query_leaders l JOIN simulator_queries q ON q.id = l.id WHERE l.project_id = ? ORDER BY l.cost, l.id LIMIT 100').all(target) as { detail: string }[]).map((r) => r.detail);
    console.log(`best100 one project of ${total.toLocaleString('en')} rows: median ${bestMs.median} ms, p99 ${bestMs.p99} ms (${plan.join('; ')})`);
    // a cheapest-first page past the project's leaders reads and sorts the project's queries
    const deep: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      if (wb.queries.list(target, 50, QUERY_LEADERS + 1000, { sort: 'cost' }).length !== 50) throw new Error('expected 50 rows');
      deep.push(performance.now() - t0);
    }
    const deepMs = summarize(deep);
    const projectRows = wb.queries.count(target);
    console.log(`page of 50 by cost at offset ${QUERY_LEADERS + 1000} (past the ${QUERY_LEADERS} leaders), one project of ${projectRows.toLocaleString('en')} rows: median ${deepMs.median} ms`);
    const listT: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      wb.projects.list();
      listT.push(performance.now() - t0);
    }
    const listMs = summarize(listT);
    console.log(`projects.list with best cost and counts over ${total.toLocaleString('en')} rows: median ${listMs.median} ms`);

    // 3. the stored designs lookup (a Sample tab panel, a run with stored designs): one project of
    // STORED ground-truth queries with FluidTool-2D outcomes among all the rows above; the first
    // lookup, the same again, and after each of 10 batches of 100 new queries (as a running job
    // adds them while the panel follows)
    const storedProject = wb.projects.create({ name: 'bench stored', environment: 'fluidtool-2d', settings: {} }).id;
    const env = wb.environment(storedProject);
    const outcomeBatch = (size: number): SimulatorQuery[] =>
      makeBatch([storedProject], size, rand).map((q) => {
        const outcome = new Float32Array(env.outcomeSpec.dim);
        // centroid, total variance, then a density of 36 occupied cells
        outcome.set([0.2 + 0.7 * rand(), 0.05 + 0.25 * rand(), 0.01 + 0.2 * rand()]);
        for (let k = 0; k < 36; k++) outcome[3 + Math.floor(rand() * (env.outcomeSpec.dim - 3))] = 1 / 36;
        return { ...q, simulator: 'ground_truth', outcome };
      });
    for (let written = 0; written < STORED; written += 1_000) wb.queries.record(outcomeBatch(Math.min(1_000, STORED - written)));
    const storedTask = [0.6, 0.07];
    const lookup = (): number => {
      const t0 = performance.now();
      if (storedDesignsFor(wb.queries, env, storedProject, storedTask, { count: 100 }).length !== 100) throw new Error('expected 100 stored designs');
      return performance.now() - t0;
    };
    const storedFirstMs = Number(lookup().toFixed(1));
    const storedAgain = summarize(Array.from({ length: 10 }, lookup));
    const storedAfterNew = summarize(
      Array.from({ length: 10 }, () => {
        wb.queries.record(outcomeBatch(100));
        return lookup();
      }),
    );
    console.log(`stored  100 cheapest of ${STORED.toLocaleString('en')} queries with outcomes: first ${storedFirstMs} ms, again median ${storedAgain.median} ms, after 100 new queries median ${storedAfterNew.median} ms`);

    // 4. API round trip in browser mode, HTTP keep-alive, token checked on every call
    const handlers = createHandlers(wb);
    const server = await startBrowserServer({ dispatch: (m, a) => dispatch(handlers, m, a), events: wb.events, staticDir: join(__dirname, '..', 'out', 'renderer') });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const roundTrip: Record<string, ReturnType<typeof summarize>> = {};
    for (const method of ['app.ping', 'projects.list']) {
      for (let i = 0; i < 50; i++) await post(agent, server.port, server.token, method);
      const samples: number[] = [];
      for (let i = 0; i < (method === 'app.ping' ? 2000 : 300); i++) samples.push(await post(agent, server.port, server.token, method));
      roundTrip[method] = summarize(samples);
      console.log(`api     ${method.padEnd(14)} round trip: median ${roundTrip[method]!.median} ms, p99 ${roundTrip[method]!.p99} ms (n=${samples.length})`);
    }
    agent.destroy();
    await server.close();

    const file = writeResults('store', 'npm run bench:store', {
      rowsTotal: total,
      designDim: DIM,
      databaseMiB: Number((dbBytes / 2 ** 20).toFixed(1)),
      insert,
      targets: { insertRowsPerSecond: 100_000, best100Ms: 5 },
      best100ByCostMs: bestMs,
      best100QueryPlan: plan,
      pastLeadersPageMs: { offset: QUERY_LEADERS + 1000, projectRows, ...deepMs },
      projectsListMs: listMs,
      storedDesignsMs: { queries: STORED, count: 100, first: storedFirstMs, again: storedAgain, afterHundredNew: storedAfterNew },
      apiRoundTripMs: roundTrip,
    });
    console.log(`wrote ${file}`);
  } finally {
    await wb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

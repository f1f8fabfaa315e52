import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, test, type Page } from '@playwright/test';
import { call, deleteCreatedProjectsAfterEach, openTab, server, watchForPageErrors } from './support';

// The Designs tab over a project of 100,000 simulator queries (issue #5: paging that stays fast at
// 100,000 rows): the rows are written into the server's own SQLite file, as the engine stores
// them, and the tab pages, sorts and filters them through the real API. What each page should
// hold is worked out here from the rows written, not asked of the server.

const created = deleteCreatedProjectsAfterEach();

const ROWS = 100_000;
const PAGE = 50;
const JOINTS = 4;
const METHODS = ['cem', 'adam', 'random', 'manual'] as const;
const TASKS: [number, number][] = [
  [0.2, 0.1],
  [0.3, 0.1],
  [0.4, 0.1],
  [0.5, 0.1],
  [0.2, 0.3],
  [0.3, 0.3],
  [0.4, 0.3],
];

interface Row {
  id: number;
  cost: number;
  method: string;
  simulator: 'ground_truth' | 'learned';
  task: [number, number];
}

const float32Blob = (values: number[]): Buffer => Buffer.from(Float32Array.from(values).buffer);

/**
 * 100,000 queries of a project in one transaction: four methods in turn, seven tasks in turn, one
 * in ten on the learned simulator, and costs 0.01 … 1.01 all different and in no order of id.
 */
function writeQueries(projectId: number): Row[] {
  const db = new Database(join(server().dataDir, 'workbench.sqlite'));
  try {
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare(
      `INSERT INTO simulator_queries (project_id, design, task, simulator, model_id, cost, capture, wall_ms, method, run, created_at)
       VALUES (?, ?, ?, ?, NULL, ?, ?, 1, ?, ?, ?)`,
    );
    const start = Date.now() - ROWS * 1000;
    const rows: Row[] = [];
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        const row: Omit<Row, 'id'> = {
          cost: 0.01 + ((i * 7919 + 12345) % ROWS) / ROWS,
          method: METHODS[i % METHODS.length]!,
          simulator: i % 10 === 3 ? 'learned' : 'ground_truth',
          task: TASKS[i % TASKS.length]!,
        };
        const design = Array.from({ length: JOINTS }, (_, j) => Math.sin(i + j));
        const info = insert.run(projectId, float32Blob(design), float32Blob(row.task), row.simulator, row.cost, (i % 100) / 100, row.method, `run-${i % 50}`, start + i * 1000);
        rows.push({ id: Number(info.lastInsertRowid), ...row });
      }
    })();
    return rows;
  } finally {
    db.close();
  }
}

const newestFirst = (a: Row, b: Row): number => b.id - a.id;
const cheapestFirst = (a: Row, b: Row): number => a.cost - b.cost || a.id - b.id;
const ids = (rows: Row[], offset: number): number[] => rows.slice(offset, offset + PAGE).map((r) => r.id);

async function shownIds(page: Page): Promise<number[]> {
  return page.getByTestId('design-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-query-id'))));
}

/** the page's range says it has come, and its rows are the expected ones, in order */
async function expectPage(page: Page, rows: Row[], offset: number): Promise<void> {
  const last = Math.min(offset + PAGE, rows.length);
  await expect(page.getByTestId('pager-range')).toHaveText(`rows ${offset + 1}–${last} of ${rows.length}`);
  await expect.poll(() => shownIds(page)).toEqual(ids(rows, offset));
  if (offset > 0) await expect(page.getByTestId('pager-previous')).toBeEnabled();
  else await expect(page.getByTestId('pager-previous')).toBeDisabled();
  if (last < rows.length) await expect(page.getByTestId('pager-next')).toBeEnabled();
  else await expect(page.getByTestId('pager-next')).toBeDisabled();
}

test('the Designs tab pages, sorts and filters 100,000 queries a page of 50 at a time', async ({ page, request }) => {
  test.setTimeout(180_000);
  const errors = watchForPageErrors(page);
  const project = await call<{ id: number }>(request, 'projects.create', { name: 'E2E 100,000 designs', settings: { particles: 36, frames: 14, joints: JOINTS } });
  created.push(project.id);
  const all = writeQueries(project.id);
  expect(all).toHaveLength(ROWS);

  // newest first: forward three pages, back one
  await openTab(page, project.id, 'designs');
  const newest = [...all].sort(newestFirst);
  await expectPage(page, newest, 0);
  for (const offset of [50, 100, 150]) {
    await page.getByTestId('pager-next').click();
    await expectPage(page, newest, offset);
  }
  await page.getByTestId('pager-previous').click();
  await expectPage(page, newest, 100);

  // cheapest first starts again from the first page
  await page.getByTestId('designs-sort').selectOption('cost');
  const cheapest = [...all].sort(cheapestFirst);
  await expectPage(page, cheapest, 0);
  await expect(page.getByTestId('design-cost').first()).toHaveText(cheapest[0]!.cost.toPrecision(4));
  await page.getByTestId('pager-next').click();
  await expectPage(page, cheapest, 50);

  // the method filter lists every method with its count, and keeps the sort
  for (const method of METHODS) {
    await expect(page.getByTestId('designs-method').locator('option', { hasText: `${method} (${ROWS / METHODS.length})` })).toHaveCount(1);
  }
  await page.getByTestId('designs-method').selectOption('adam');
  const adam = cheapest.filter((r) => r.method === 'adam');
  await expectPage(page, adam, 0);
  await page.getByTestId('pager-next').click();
  await expectPage(page, adam, 50);

  // and the learned simulator's among them
  await page.getByTestId('designs-simulator').selectOption('learned');
  const learned = adam.filter((r) => r.simulator === 'learned');
  expect(learned).toHaveLength(5000);
  await expectPage(page, learned, 0);

  // at most a cost of 0.05: a few pages, paged to the last one
  await page.getByTestId('designs-cost-max').fill('0.05');
  const cheap = learned.filter((r) => r.cost <= 0.05);
  expect(cheap.length).toBeGreaterThan(2 * PAGE);
  await expectPage(page, cheap, 0);
  for (let offset = PAGE; offset < cheap.length; offset += PAGE) {
    await page.getByTestId('pager-next').click();
    await expectPage(page, cheap, offset);
  }

  // one task of the seven, newest first
  await page.getByTestId('designs-cost-max').fill('');
  await page.getByTestId('designs-simulator').selectOption('');
  await page.getByTestId('designs-sort').selectOption('newest');
  await page.getByTestId('designs-task-x').fill('0.4');
  await page.getByTestId('designs-task-y').fill('0.3');
  await page.getByTestId('designs-task-apply').click();
  const onTask = newest.filter((r) => r.method === 'adam' && r.task[0] === 0.4 && r.task[1] === 0.3);
  await expectPage(page, onTask, 0);
  await page.getByTestId('pager-next').click();
  await expectPage(page, onTask, 50);

  expect(errors).toEqual([]);
});

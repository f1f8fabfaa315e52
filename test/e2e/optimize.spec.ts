import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type Download } from '@playwright/test';
import { call, deleteCreatedProjectsAfterEach, drawnPixels, openTab, pageShot, shot, watchForPageErrors } from './support';

// Optimization against a real `idw serve` (see global-setup.ts): import a trajectory CSV through
// the Data tab (preview, detected mapping, stats and histogram), run a small CEM job from the
// Sample tab and watch its curve, then sort, select and export designs on the Designs tab; and
// cancel a long CEM run from the Sample tab.

test.use({ viewport: { width: 1280, height: 1100 } });

/** projects this file made, removed after each test: the other files expect a workbench of their own making */
const created = deleteCreatedProjectsAfterEach();

async function createProject(request: APIRequestContext, name: string, settings: object = {}): Promise<number> {
  const project = await call<{ id: number }>(request, 'projects.create', { name, settings });
  created.push(project.id);
  return project.id;
}

async function saved(download: Download): Promise<string> {
  const path = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(path);
  return readFileSync(path, 'utf8');
}

/** 30 records of 3 runs (10 iterations each) of an 8-joint design, with costs 0.30 … 0.59. */
function trajectoryCsv(): { text: string; costs: number[] } {
  const header = ['run', 'optimizer', 'iteration', 'task_x', 'task_y', ...Array.from({ length: 8 }, (_, j) => `x${j}`), 'cost'];
  const lines = [header.join(',')];
  const costs: number[] = [];
  for (let run = 0; run < 3; run++) {
    for (let it = 0; it < 10; it++) {
      const cost = Number((0.3 + (run * 10 + it) / 100).toFixed(2));
      costs.push(cost);
      const design = Array.from({ length: 8 }, (_, j) => (((run + it + j) % 9) / 10 - 0.4).toFixed(2));
      lines.push([`run-${run + 1}`, run === 2 ? 'random' : 'cem', it, 0.5, Number((0.05 + run * 0.02).toFixed(2)), ...design, cost].join(','));
    }
  }
  return { text: `${lines.join('\n')}\n`, costs };
}

test('optimization trajectories are imported from a CSV with the detected mapping, and their statistics shown', async ({ page, request }) => {
  const errors = watchForPageErrors(page);
  const projectId = await createProject(request, 'E2E trajectories');
  const { text, costs } = trajectoryCsv();
  const fixture = test.info().outputPath('trajectories.csv');
  writeFileSync(fixture, text);

  await openTab(page, projectId, 'data');
  await page.getByTestId('trajectory-file').setInputFiles(fixture);
  const preview = page.getByTestId('trajectory-preview');
  await expect(preview).toBeVisible();
  await expect(preview.locator('thead th')).toHaveText(['run', 'optimizer', 'iteration', 'task_x', 'task_y', 'x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'cost']);
  await expect(preview.locator('tbody tr').first().locator('td').first()).toHaveText('run-1');
  // the detected mapping, one selector per field
  await expect(page.getByTestId('map-run')).toHaveValue('run');
  await expect(page.getByTestId('map-optimizer')).toHaveValue('optimizer');
  await expect(page.getByTestId('map-iteration')).toHaveValue('iteration');
  await expect(page.getByTestId('map-cost')).toHaveValue('cost');
  await expect(page.getByTestId('map-task-0')).toHaveValue('task_x');
  await expect(page.getByTestId('map-task-1')).toHaveValue('task_y');
  for (let j = 0; j < 8; j++) await expect(page.getByTestId(`map-design-${j}`)).toHaveValue(`x${j}`);
  await shot(page, '31-trajectory-preview', page.getByTestId('trajectory-import'));

  await page.getByTestId('trajectory-name').fill('Imported runs');
  await page.getByTestId('trajectory-submit').click();
  const row = page.getByTestId('dataset-row').filter({ hasText: 'Imported runs' });
  await expect(row).toBeVisible();
  await expect(row.getByTestId('dataset-records')).toContainText('30 records');
  await expect(row.getByTestId('dataset-records')).toContainText('3 runs');
  const details = page.getByTestId('optimization-details');
  await expect(details).toBeVisible();
  await expect(details.getByTestId('stat-rows')).toHaveText('30');
  await expect(details.getByTestId('stat-runs')).toHaveText('3');
  await expect(details.getByTestId('stat-tasks')).toHaveText('3');
  await expect(details.getByTestId('stat-optimizers')).toHaveText('2');
  await expect(details.getByTestId('stat-cost-min')).toContainText(String(Math.min(...costs)).slice(0, 3));
  const histogram = details.getByTestId('cost-histogram');
  await expect(histogram).toHaveAttribute('data-points', '20');
  await expect.poll(() => drawnPixels(histogram)).toBeGreaterThan(500);
  // each run's cost against iteration: 3 runs of 10 iterations, one line each
  await expect(details.getByTestId('run-curves-caption')).toContainText('3 runs');
  const curves = details.getByTestId('run-curves');
  await expect(curves).toHaveAttribute('data-points', '30');
  await expect.poll(() => drawnPixels(curves)).toBeGreaterThan(500);
  await shot(page, '32-trajectory-dataset', page.locator('section[aria-labelledby="datasets-heading"]'));
  await shot(page, '33-run-curves', details);

  // the whole dataset as CSV: the same 30 costs come back
  const downloading = page.waitForEvent('download');
  await details.getByTestId('export-trajectories-csv').click();
  const csv = await saved(await downloading);
  const lines = csv.trim().split('\n');
  expect(lines).toHaveLength(31);
  const costColumn = lines[0]!.split(',').indexOf('cost');
  expect(costColumn).toBeGreaterThanOrEqual(0);
  const exported = lines.slice(1).map((l) => Number(l.split(',')[costColumn]));
  expect(exported.sort((a, b) => a - b).map((c) => c.toFixed(2))).toEqual([...costs].sort((a, b) => a - b).map((c) => c.toFixed(2)));
  expect(errors).toEqual([]);
});

test('a small CEM run is started from the Sample tab, its curve grows live, and its designs are sorted, selected and exported', async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const errors = watchForPageErrors(page);
  const projectId = await createProject(request, 'E2E optimize', { particles: 36, frames: 14, joints: 4 });

  // no queries yet
  await openTab(page, projectId, 'designs');
  await expect(page.getByTestId('designs-empty')).toBeVisible();

  await page.getByTestId('tab-sample').click();
  await expect(page.getByRole('heading', { name: 'Optimizers (baselines)' })).toBeVisible();
  await expect(page.getByTestId('optimizer-adam')).toBeDisabled();
  await expect(page.getByTestId('adam-hint')).toBeVisible();
  await page.getByTestId('optimizer-cem').click();
  await page.getByTestId('optimize-budget').fill('16');
  await page.getByTestId('optimize-cem-population').fill('1');
  await expect(page.getByTestId('optimize-form').getByTestId('field-error')).toHaveText('must be at least 2');
  await expect(page.getByTestId('start-optimize')).toBeDisabled();
  await page.getByTestId('optimize-cem-population').fill('8');
  await shot(page, '41-optimize-form', page.getByTestId('optimize-form'));
  await page.getByTestId('start-optimize').click();

  const run = page.getByTestId('optimize-run').first();
  await expect(run).toBeVisible();
  const curves = page.getByTestId('optimize-curves');
  await expect.poll(async () => Number(await curves.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await expect(run.getByTestId('run-queries')).toHaveText('16');
  // the finished run reads its curve from the job result: one point per CEM generation at least
  await expect.poll(async () => Number(await curves.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  await expect.poll(() => drawnPixels(curves)).toBeGreaterThan(500);
  const bestCost = (await run.getByTestId('run-best-cost').textContent())!.trim();
  await pageShot(page, '42-optimize-run');

  // the best design opens in the Simulator tab and plays: its stored query replayed, nothing new stored (16 below)
  await run.getByTestId('open-best').click();
  await expect(page.getByTestId('tab-simulator')).toHaveClass(/tabs__tab--active/);
  await expect(page).not.toHaveURL(/design=/);
  await expect(page).toHaveURL(/query=\d+/);
  await expect(page.getByTestId('sim-cost')).toHaveText(bestCost, { timeout: 30_000 });

  // the Designs tab: the 16 queries, cheapest first
  await page.getByTestId('tab-designs').click();
  const rows = page.getByTestId('design-row');
  await expect(page.getByTestId('pager-range')).toHaveText('rows 1–16 of 16');
  await page.getByTestId('designs-sort').selectOption('cost');
  await expect(rows.first().getByTestId('design-cost')).toHaveText(bestCost);
  const shownCosts = await rows.getByTestId('design-cost').allTextContents();
  const numeric = shownCosts.map(Number);
  expect([...numeric].sort((a, b) => a - b)).toEqual(numeric);
  // filters: the method list comes from queries.methods
  await expect(page.getByTestId('designs-method').locator('option', { hasText: 'cem' })).toHaveCount(1);

  await rows.nth(0).getByTestId('design-select').check();
  await rows.nth(1).getByTestId('design-select').check();
  await expect(page.getByTestId('designs-selected')).toHaveText('2 selected');
  const selectedIds = [await rows.nth(0).getAttribute('data-query-id'), await rows.nth(1).getAttribute('data-query-id')].map(Number);
  await pageShot(page, '43-designs');

  const csvDownload = page.waitForEvent('download');
  await page.getByTestId('export-format').selectOption('csv');
  await page.getByTestId('export-selected').click();
  const csv = (await saved(await csvDownload)).trim().split('\n');
  expect(csv).toHaveLength(3);
  const header = csv[0]!.split(',');
  const costAt = header.indexOf('cost');
  expect(costAt).toBeGreaterThanOrEqual(0);
  expect(csv.slice(1).map((l) => Number(l.split(',')[costAt]).toPrecision(4))).toEqual(shownCosts.slice(0, 2));
  expect(csv.slice(1).map((l) => Number(l.split(',')[header.indexOf('query_id')]))).toEqual(selectedIds);
  expect(header.filter((c) => /^x\d$/.test(c))).toEqual(['x0', 'x1', 'x2', 'x3']);

  const jsonDownload = page.waitForEvent('download');
  await page.getByTestId('export-format').selectOption('json');
  await page.getByTestId('export-selected').click();
  const json = JSON.parse(await saved(await jsonDownload)) as { query_id: number; cost: number; design: number[] }[];
  expect(json).toHaveLength(2);
  expect(json.map((r) => r.cost.toPrecision(4))).toEqual(shownCosts.slice(0, 2));
  expect(json.map((r) => r.query_id)).toEqual(selectedIds);
  expect(json.every((r) => Array.isArray(r.design) && r.design.length === 4)).toBe(true);
  expect(errors).toEqual([]);
});

test('a long CEM run on the ground truth is cancelled from the Sample tab: it is marked cancelled and keeps its curve and its queries', async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  const errors = watchForPageErrors(page);
  const projectId = await createProject(request, 'E2E optimize cancel', { particles: 36, frames: 14, joints: 4 });

  await openTab(page, projectId, 'sample');
  await page.getByTestId('optimizer-cem').click();
  await expect(page.getByTestId('optimize-simulator-ground_truth')).toHaveAttribute('aria-checked', 'true');
  // thousands of ground-truth rollouts: far longer than the test waits
  await page.getByTestId('optimize-budget').fill('20000');
  await page.getByTestId('optimize-cem-population').fill('8');
  await page.getByTestId('start-optimize').click();

  const run = page.getByTestId('optimize-run').first();
  await expect(run).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  const curves = page.getByTestId('optimize-curves');
  const points = async (): Promise<number> => Number(await curves.getAttribute('data-points'));
  await expect.poll(points, { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  const before = await points();

  await run.getByTestId('cancel-optimize').click();
  await expect(run).toHaveAttribute('data-status', 'cancelled', { timeout: 30_000 });
  await expect(run.getByTestId('cancel-optimize')).toHaveCount(0);
  // the curve drawn so far stays, with the queries it got to and the best cost it found
  expect(await points()).toBeGreaterThanOrEqual(before);
  await expect.poll(() => drawnPixels(curves)).toBeGreaterThan(500);
  const queries = Number(await run.getByTestId('run-queries').textContent());
  expect(queries).toBeGreaterThanOrEqual(before * 8);
  expect(queries).toBeLessThan(20000);
  await expect(run.getByTestId('run-best-cost')).toHaveText(/^\d/);
  const bestCost = (await run.getByTestId('run-best-cost').textContent())!.trim();
  await pageShot(page, '44-optimize-cancelled');

  // every query it made is stored, the cheapest of them its best
  await page.getByTestId('tab-designs').click();
  await expect(page.getByTestId('pager-range')).toHaveText(/^rows /);
  const stored = Number(/of (\d+)$/.exec((await page.getByTestId('pager-range').textContent())!.trim())?.[1]);
  expect(stored).toBeGreaterThanOrEqual(queries);
  await page.getByTestId('designs-sort').selectOption('cost');
  await expect(page.getByTestId('design-row').first().getByTestId('design-cost')).toHaveText(bestCost);

  // back on the Sample tab, the cancelled run and its curve are still there
  await page.getByTestId('tab-sample').click();
  const again = page.getByTestId('optimize-run').first();
  await expect(again).toHaveAttribute('data-status', 'cancelled');
  await expect(again.getByTestId('run-queries')).toHaveText(String(queries));
  expect(await points()).toBeGreaterThanOrEqual(before);
  await expect.poll(() => drawnPixels(curves)).toBeGreaterThan(500);
  expect(errors).toEqual([]);
});

import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { call, drawnPixels, server, shot, trajectoryCsv, watchForPageErrors } from './support';

// Issue #15's dashboard views against a real `idw serve`: the Runs tab (every run, filtered and
// sorted, a run's name and note stored and kept over a reload, opened by its link), the views
// across design dimensions (parallel coordinates, slices, cost per query, importance), the Models
// tab's comparison (loss curves overlaid, parameters side by side, the loss plot's options), a
// design's link that replays its query, the Sample tab's target kept over a reload; and the
// layout: each view at 1366×768 and 1366×850 with no document overflow, screenshots kept.

const JOINTS = 4;
interface Job {
  id: number;
  status: string;
  error: string | null;
}

let projectId = 0;
let cemJob = 0;
let randomJob = 0;
let models: number[] = [];

async function waitForJobs(request: APIRequestContext, ids: number[]): Promise<void> {
  await expect
    .poll(
      async () => {
        const jobs = await call<Job[]>(request, 'jobs.list', { projectId });
        const failed = jobs.find((j) => ids.includes(j.id) && j.status === 'failed');
        if (failed) return `job ${failed.id} failed: ${failed.error}`;
        return jobs.filter((j) => ids.includes(j.id) && j.status === 'succeeded').length === ids.length ? 'done' : 'waiting';
      },
      { timeout: 150_000, intervals: [1000] },
    )
    .toBe('done');
}

test.beforeAll(async ({ request }) => {
  test.setTimeout(180_000);
  const project = await call<{ id: number }>(request, 'projects.create', { name: 'E2E runs and models', settings: { particles: 36, frames: 14, joints: JOINTS } });
  projectId = project.id;
  cemJob = (await call<Job>(request, 'jobs.start', { kind: 'optimize', projectId, params: { optimizer: 'cem', budget: 24, cem: { population: 8 } } })).id;
  randomJob = (await call<Job>(request, 'jobs.start', { kind: 'optimize', projectId, params: { optimizer: 'random', budget: 12, task: [0.45, 0.06] } })).id;
  // two tiny diffusion priors to compare, different only in their learning rate
  const dataset = await call<{ id: number }>(request, 'datasets.importOptimization', {
    projectId,
    name: 'CEM runs',
    source: { fileName: 'trajectories.csv', base64: Buffer.from(trajectoryCsv(JOINTS)).toString('base64') },
  });
  const train = (name: string, learningRate: number) =>
    call<Job>(request, 'jobs.start', {
      kind: 'diffusion.train',
      projectId,
      params: { name, datasetIds: [dataset.id], width: 32, blocks: 2, timesteps: 50, batchSize: 32, steps: 60, evalEvery: 20, learningRate },
    });
  const jobs = [await train('Prior A', 0.001), await train('Prior B', 0.003)];
  await waitForJobs(request, [cemJob, randomJob, ...jobs.map((j) => j.id)]);
  const list = await call<{ id: number; name: string }[]>(request, 'models.list', { projectId, kind: 'diffusion' });
  models = ['Prior A', 'Prior B'].map((n) => list.find((m) => m.name === n)!.id);
});

test.afterAll(async ({ request }) => {
  if (projectId) await call(request, 'projects.delete', { id: projectId });
});

async function go(page: Page, route: string): Promise<void> {
  const { url, origin } = server();
  await page.goto(url);
  await page.goto(`${origin}/#${route}`);
}

/** the page fits the window: the content scrolls inside its own container, never the document */
async function expectNoDocumentOverflow(page: Page): Promise<void> {
  const { scrollHeight, innerHeight, scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollHeight: document.scrollingElement!.scrollHeight,
    innerHeight: window.innerHeight,
    scrollWidth: document.scrollingElement!.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollHeight, 'document height').toBeLessThanOrEqual(innerHeight);
  expect(scrollWidth, 'document width').toBeLessThanOrEqual(innerWidth);
}

/** a screenshot at 1366×768 and at 1366×850, each checked for document overflow */
async function shotsAtBothSizes(page: Page, name: string): Promise<void> {
  for (const height of [768, 850]) {
    await page.setViewportSize({ width: 1366, height });
    await page.waitForTimeout(150);
    await expectNoDocumentOverflow(page);
    await shot(page, `${name}-1366x${height}`);
  }
}

test("a run's link opens it in the Runs tab; its name and note are stored and survive a reload", async ({ page }) => {
  const errors = watchForPageErrors(page);
  await go(page, `/projects/${projectId}/runs/${cemJob}`);
  await expect(page.getByTestId('tab-runs')).toHaveClass(/tabs__tab--active/);
  const detail = page.getByTestId('run-detail');
  await expect(detail).toHaveAttribute('data-job-id', String(cemJob));
  await expect(page.getByTestId('run-title')).toHaveText(`CEM · job #${cemJob}`);

  // both runs, whatever their target, in one table; filter by target and sort by best cost
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId('runs-target').locator('option')).toHaveCount(3);
  await page.getByTestId('runs-target').selectOption({ label: '(0.45, 0.06)' });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-job-id', String(randomJob));
  await page.getByTestId('runs-target').selectOption('');
  await page.getByTestId('sort-best').click();
  const bests = (await rows.getByTestId('run-row-best').allTextContents()).map(Number);
  expect([...bests].sort((a, b) => a - b)).toEqual(bests);
  await page.getByTestId('sort-best').click();
  expect((await rows.getByTestId('run-row-best').allTextContents()).map(Number)).toEqual([...bests].reverse());

  // a name and a note of the user's own
  await page.getByTestId('run-name').fill('Wide ramp');
  await page.getByTestId('run-note').fill('baseline for the report');
  await page.getByTestId('run-save').click();
  await expect(page.getByTestId('run-title')).toHaveText('Wide ramp');
  await page.getByTestId('runs-search').fill('report');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Wide ramp');
  await shotsAtBothSizes(page, '15-runs-tab');

  await page.reload();
  await expect(page.getByTestId('run-title')).toHaveText('Wide ramp');
  await expect(page.getByTestId('run-note')).toHaveValue('baseline for the report');
  await expect(page.getByTestId('run-row').filter({ hasText: 'Wide ramp' })).toContainText('baseline for the report');

  // a link to a run that does not exist says so
  await go(page, `/projects/${projectId}/runs/987654`);
  await expect(page.getByTestId('run-missing')).toContainText('no run with job id 987654');
  expect(errors).toEqual([]);
});

test("parallel coordinates, slices, cost per query and importance of a run's and of the project's queries", async ({ page }) => {
  const errors = watchForPageErrors(page);
  await go(page, `/projects/${projectId}/runs/${cemJob}`);
  const views = page.getByTestId('design-space-views');
  // the CEM run's own 24 queries
  await expect(views).toHaveAttribute('data-queries', '24');
  await expect(views.getByTestId('space-count')).toHaveText('24 queries');
  const parallel = views.getByTestId('parallel-chart');
  await expect.poll(() => drawnPixels(parallel)).toBeGreaterThan(2000);
  await expect(views.getByTestId('importance-row')).toHaveCount(JOINTS);
  await expect(views.getByTestId('importance')).toContainText('|Spearman ρ|');
  await expect(views.getByTestId('slice-plot').locator('canvas')).toHaveCount(JOINTS);
  await expect.poll(() => drawnPixels(views.getByTestId('cost-history'))).toBeGreaterThan(500);
  await shot(page, '15-parallel-coordinates', views.getByTestId('parallel-coordinates'));
  await views.scrollIntoViewIfNeeded();
  await shotsAtBothSizes(page, '15-design-space-views');

  // without a run: the whole project's queries (both runs': 36)
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/runs$`));
  await expect(views).toHaveAttribute('data-queries', '36');
  await expect(views.getByRole('heading')).toContainText('whole project');
  expect(errors).toEqual([]);
});

test('two trained models compared: loss curves overlaid with their options, parameters side by side', async ({ page }) => {
  const errors = watchForPageErrors(page);
  await go(page, `/projects/${projectId}/models`);
  await expect(page.getByTestId('tab-models')).toHaveClass(/tabs__tab--active/);
  const a = page.getByTestId('model-row').filter({ hasText: 'Prior A' });
  const b = page.getByTestId('model-row').filter({ hasText: 'Prior B' });
  await a.getByTestId('model-compare').check();
  await b.getByTestId('model-compare').check();
  // the URL names both, so the comparison can be shared
  await expect(page).toHaveURL(new RegExp(`/models/${models[0]}\\?compare=${models[1]}$`));
  const view = page.getByTestId('model-compare-view');
  await expect(view).toHaveAttribute('data-models', models.join(','));
  await expect(view.getByRole('heading', { name: 'Comparing 2 models' })).toBeVisible();
  const chart = view.getByTestId('loss-compare-chart');
  await expect.poll(() => drawnPixels(chart)).toBeGreaterThan(2000);
  const logPixels = await drawnPixels(chart);

  // parameters side by side; only what differs: the learning rate and the name among them
  const params = view.getByTestId('parameter-row');
  const all = await params.count();
  await view.getByTestId('only-differences').check();
  const differing = await params.count();
  expect(differing).toBeLessThan(all);
  await expect(params.filter({ hasText: 'config.training.learningRate' })).toContainText('0.001');
  await expect(params.filter({ hasText: 'config.training.learningRate' })).toContainText('0.003');
  await shotsAtBothSizes(page, '14-models-compare');

  // the loss plot's options: linear axis, training time, smoothing redraw the chart
  await view.getByTestId('loss-y-linear').click();
  await view.getByTestId('loss-x-time').click();
  await view.getByTestId('loss-smoothing').fill('0.8');
  await expect.poll(() => drawnPixels(chart)).not.toBe(logPixels);
  await shot(page, '18-loss-options', view);
  // opened by its link, with the options kept
  await go(page, `/projects/${projectId}/models/${models[1]}`);
  await expect(page.getByTestId('model-compare-view')).toHaveAttribute('data-models', String(models[1]));
  await expect(page.getByTestId('loss-y-linear')).toHaveAttribute('aria-checked', 'true');
  expect(errors).toEqual([]);
});

test("a design's link replays its stored query in the Simulator tab without storing another", async ({ page, request }) => {
  const errors = watchForPageErrors(page);
  const before = await call<{ total: number; rows: { id: number; cost: number }[] }>(request, 'queries.list', { projectId, sort: 'cost', limit: 1 });
  const best = before.rows[0]!;
  await go(page, `/projects/${projectId}/designs/${best.id}`);
  await expect(page.getByTestId('tab-simulator')).toHaveClass(/tabs__tab--active/);
  await expect(page).toHaveURL(new RegExp(`simulator\\?query=${best.id}$`));
  // the replay is the stored query: same id, same cost
  await expect(page.getByTestId('player-view')).toHaveAttribute('data-view', 'ground_truth');
  await expect(page.getByTestId('sim-query-id')).toHaveText(`#${best.id}`, { timeout: 30_000 });
  await shotsAtBothSizes(page, '17-design-link');
  // the Designs tab names each design's link
  await go(page, `/projects/${projectId}/designs`);
  await expect(page.getByTestId('design-link').first()).toHaveAttribute('href', new RegExp(`#/projects/${projectId}/designs/\\d+$`));

  // a run's best, from the Runs tab: loaded and played, its stored query replayed
  await go(page, `/projects/${projectId}/runs/${cemJob}`);
  await page.getByTestId('run-open-best').click();
  await expect(page.getByTestId('tab-simulator')).toHaveClass(/tabs__tab--active/);
  await expect(page).toHaveURL(/query=\d+/);
  await expect(page.getByTestId('sim-query-id')).toHaveText(/#\d+/, { timeout: 30_000 });
  const after = await call<{ total: number }>(request, 'queries.list', { projectId, limit: 1 });
  expect(after.total).toBe(before.total);
  expect(errors).toEqual([]);
});

test('the Sample tab keeps its target over a reload; the jobs panel lists the open project only unless asked', async ({ page, request }) => {
  const errors = watchForPageErrors(page);
  // a job of no project (the self-check): listed only with All projects
  const selfcheck = await call<Job>(request, 'jobs.start', { kind: 'selfcheck', params: {} });
  await go(page, `/projects/${projectId}/sample`);
  await page.getByTestId('task-x').fill('0.42');
  await page.getByTestId('task-y').fill('0.08');
  await page.getByTestId('task-y').blur();
  await page.reload();
  await expect(page.getByTestId('task-x')).toHaveValue('0.42');
  await expect(page.getByTestId('task-y')).toHaveValue('0.08');
  await shotsAtBothSizes(page, '09-sample-tab');

  const panel = page.getByTestId('jobs-panel');
  await expect(panel.getByTestId('jobs-summary')).toContainText('in this project');
  const scoped = await panel.getByTestId('job-row').count();
  expect(scoped).toBeGreaterThanOrEqual(4);
  await expect(panel.locator(`[data-job-id="${selfcheck.id}"]`)).toHaveCount(0);
  await panel.getByTestId('jobs-all-projects').check();
  await expect(panel.getByTestId('jobs-summary')).toContainText('total');
  await expect(panel.locator(`[data-job-id="${selfcheck.id}"]`)).toHaveCount(1);
  await panel.getByTestId('jobs-all-projects').uncheck();
  expect(errors).toEqual([]);
});

test('every project tab fits the window at 1366×768 and 1366×850 (no second scrollbar)', async ({ page }) => {
  const errors = watchForPageErrors(page);
  for (const tab of ['data', 'simulator', 'diffusion', 'sample', 'designs', 'runs', 'models']) {
    await go(page, `/projects/${projectId}/${tab}`);
    await expect(page.getByTestId(`tab-${tab}`)).toHaveClass(/tabs__tab--active/);
    await page.waitForTimeout(300);
    await shotsAtBothSizes(page, `09-tab-${tab}`);
  }
  await go(page, '/about');
  await shotsAtBothSizes(page, '09-about');
  expect(errors).toEqual([]);
});

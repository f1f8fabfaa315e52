import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test, type Download } from '@playwright/test';
import { call, deleteCreatedProjectsAfterEach, drawnPixels, openTab, pageShot, server, shot, watchForPageErrors, trajectoryCsv } from './support';

// The whole used-by flow of diffusion generative inverse design against a real `idw serve` (see
// global-setup.ts), through the UI only: create a project, import optimizer trajectories from a
// CSV, train a small diffusion model on them, sample with particle sampling on a target placed on
// the scene, play a sampled design, and export the best designs as CSV and JSON.

test.use({ viewport: { width: 1280, height: 1100 } });

/** projects this file made, removed after each test: the other files expect a workbench of their own making */
const created = deleteCreatedProjectsAfterEach();

const JOINTS = 8;
const RUNS = 8;
const ITERATIONS = 12;


async function saved(download: Download): Promise<string> {
  const path = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(path);
  return readFileSync(path, 'utf8');
}

function ascending(values: number[]): boolean {
  return values.every((v, i) => i === 0 || values[i - 1]! <= v);
}

test('a project goes from imported trajectories to a trained diffusion model, particle-sampled designs and their export', async ({ page, request }) => {
  test.setTimeout(600_000);
  const errors = watchForPageErrors(page);
  const fixture = test.info().outputPath('trajectories.csv');
  writeFileSync(fixture, trajectoryCsv(JOINTS, RUNS, ITERATIONS));

  // 1. a small project (few particles and frames keep the ground-truth queries quick), from the dialog
  await page.goto(server().url);
  await expect(page.getByTestId('page-title')).toHaveText('Projects');
  await page.getByTestId('new-project').click();
  await page.getByTestId('project-name-input').fill('E2E diffusion');
  await page.getByTestId('setting-particles').fill('36');
  await page.getByTestId('setting-frames').fill('14');
  await page.getByTestId('create-project-submit').click();
  await expect(page.getByTestId('create-project-dialog')).toBeHidden();
  await page.getByTestId('project-row').filter({ hasText: 'E2E diffusion' }).getByTestId('project-link').click();
  await expect(page.getByTestId('page-title')).toHaveText('E2E diffusion');
  const projectId = Number(/#\/projects\/(\d+)/.exec(page.url())?.[1]);
  expect(projectId).toBeGreaterThan(0);
  created.push(projectId);
  await expect(page.getByTestId('design-dim')).toHaveText(`d = ${JOINTS}`);

  // 2. the trajectories, imported on the Data tab with the detected mapping
  await page.getByTestId('tab-data').click();
  await page.getByTestId('trajectory-file').setInputFiles(fixture);
  await expect(page.getByTestId('trajectory-preview')).toBeVisible();
  await expect(page.getByTestId('map-cost')).toHaveValue('cost');
  await page.getByTestId('trajectory-name').fill('CEM runs');
  await page.getByTestId('trajectory-submit').click();
  const dataset = page.getByTestId('dataset-row').filter({ hasText: 'CEM runs' });
  await expect(dataset.getByTestId('dataset-records')).toContainText(`${RUNS * ITERATIONS} records`);

  // 3. a small diffusion model, trained from the Diffusion tab
  await page.getByTestId('tab-diffusion').click();
  await expect(page.getByTestId('diffusion-models-empty')).toBeVisible();
  await page.getByTestId('open-diffusion-train').click();
  const dialog = page.getByTestId('diffusion-train-dialog');
  await expect(dialog).toBeVisible();
  // the imported dataset is chosen, and the iterates it gives are counted
  await expect(dialog.getByTestId('diffusion-dataset-check')).toBeChecked();
  await expect(dialog.getByTestId('diffusion-examples')).toContainText(`${RUNS * ITERATIONS} training designs`);
  await dialog.getByTestId('diffusion-iterates-best').click();
  await expect(dialog.getByTestId('diffusion-examples')).toContainText(`${RUNS} training designs`);
  await dialog.getByTestId('diffusion-iterates-all').click();
  // the schema's bounds are checked as they are typed
  await dialog.getByTestId('diffusion-width').fill('4');
  await expect(dialog.locator('.field', { has: page.getByTestId('diffusion-width') }).getByTestId('field-error')).toHaveText('must be at least 8');
  await expect(dialog.getByTestId('start-diffusion-training')).toBeDisabled();
  await dialog.getByTestId('diffusion-name').fill('Small prior');
  await dialog.getByTestId('diffusion-width').fill('32');
  await dialog.getByTestId('diffusion-blocks').fill('2');
  await dialog.getByTestId('diffusion-timesteps').fill('50');
  await dialog.getByTestId('diffusion-batchSize').fill('32');
  await dialog.getByTestId('diffusion-steps').fill('150');
  await dialog.getByTestId('diffusion-evalEvery').fill('25');
  await expect(dialog.getByTestId('diffusion-estimate')).toContainText('early stopping may end it sooner');
  // the last weights kept, as their moving average: every step runs, and the EMA decay is asked for
  await expect(dialog.getByTestId('diffusion-ema')).toHaveCount(0);
  await dialog.getByTestId('diffusion-keep-last').click();
  await expect(dialog.getByTestId('diffusion-keep-note')).toContainText('every step runs');
  await dialog.getByTestId('diffusion-ema').fill('1');
  await expect(dialog.locator('.field', { has: page.getByTestId('diffusion-ema') }).getByTestId('field-error')).toHaveText(/at most 0\.9999/);
  await expect(dialog.getByTestId('start-diffusion-training')).toBeDisabled();
  await dialog.getByTestId('diffusion-ema').fill('0.99');
  await expect(dialog.getByTestId('start-diffusion-training')).toBeEnabled();
  await expect(dialog.getByTestId('diffusion-estimate')).toContainText('150 steps');
  await expect(dialog.getByTestId('diffusion-estimate')).not.toContainText('early stopping');
  // no diffusion model trained here yet: the step time is measured on this machine, and the dialog says so
  const source = dialog.getByTestId('diffusion-estimate-source');
  await expect(source).toHaveAttribute('data-source', 'calibration', { timeout: 60_000 });
  await expect(source).toContainText('Measured on this machine just now');
  await expect(source).toContainText('width 32, 2 blocks, batch 32');
  await shot(page, '61-diffusion-train-dialog', dialog);
  await dialog.getByTestId('start-diffusion-training').click();
  await expect(dialog).toBeHidden();

  const model = page.getByTestId('diffusion-model-row').filter({ hasText: 'Small prior' });
  await expect(model).toBeVisible({ timeout: 30_000 });
  const loss = page.getByTestId('diffusion-loss-chart');
  await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  await expect(model).toHaveAttribute('data-model-status', 'ready', { timeout: 300_000 });
  await expect(model.getByTestId('model-conditional')).toHaveText('conditional');
  // once a model was trained here, its measured step time is the estimate's
  await page.getByTestId('open-diffusion-train').click();
  await expect(dialog.getByTestId('diffusion-estimate-source')).toHaveAttribute('data-source', 'training');
  await expect(dialog.getByTestId('diffusion-estimate-source')).toContainText('Measured on this machine: “Small prior”, the newest diffusion model trained here');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(model.getByTestId('model-best-loss')).not.toHaveText('—');
  await expect.poll(() => drawnPixels(loss)).toBeGreaterThan(500);
  await pageShot(page, '62-diffusion-model');
  // the denoiser as ONNX: a protobuf ModelProto, whose first field (ir_version) is tag 0x08
  const onnxDownload = page.waitForEvent('download');
  await model.getByTestId('model-export').click();
  const onnx = await onnxDownload;
  expect(onnx.suggestedFilename()).toMatch(/\.onnx$/);
  const onnxBytes = readFileSync((await onnx.path())!);
  expect(onnxBytes.length).toBeGreaterThan(1000);
  expect(onnxBytes[0]).toBe(0x08);

  // 4. particle sampling on a target placed by clicking the scene
  await page.getByTestId('tab-sample').click();
  await expect(page.getByTestId('sample-model')).toHaveValue(/\d+/);
  await expect(page.getByTestId('sample-energy-enabled')).toBeDisabled();
  await expect(page.getByTestId('energy-unavailable')).toBeVisible();
  // the box's point (0.4, 0.07) on the square scene: y grows upward
  const scene = page.getByTestId('diffusion-sampling').getByTestId('sim-canvas');
  const box = (await scene.boundingBox())!;
  await scene.click({ position: { x: 0.4 * box.width, y: (1 - 0.07) * box.height } });
  await expect.poll(async () => Number(await page.getByTestId('task-x').inputValue())).toBeCloseTo(0.4, 1);
  await expect.poll(async () => Number(await page.getByTestId('task-y').inputValue())).toBeCloseTo(0.07, 1);
  // a round target, so the runs' targets compare exactly
  await page.getByTestId('task-x').fill('0.4');
  await page.getByTestId('task-y').fill('0.07');

  await page.getByTestId('sample-count').fill('6');
  await page.getByTestId('sample-ddimSteps').fill('10');
  await expect(page.getByTestId('sample-conditional-enabled')).toBeChecked();
  await page.getByTestId('sample-particles-enabled').check();
  await page.getByTestId('sample-ps-count').fill('4');
  await page.getByTestId('sample-ps-rounds').fill('2');
  await expect(page.getByTestId('sample-plan')).toContainText('DDM + cond. + PS');
  await expect(page.getByTestId('sample-plan')).toContainText('about 14 ground-truth queries');
  await shot(page, '63-sample-form', page.getByTestId('diffusion-sampling'));
  await page.getByTestId('start-sample').click();

  const run = page.locator('[data-testid="optimize-run"][data-kind="sample"]');
  await expect(run).toBeVisible();
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 240_000 });
  const curves = page.getByTestId('optimize-curves');
  await expect.poll(async () => Number(await curves.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
  const gallery = page.getByTestId('sample-gallery');
  const designs = gallery.getByTestId('gallery-design');
  // the 6 final designs, and the cheapest particle estimate when it beat them (the run's best)
  await expect(gallery.locator('[data-testid="gallery-design"][data-phase="final"]')).toHaveCount(6);
  expect([6, 7]).toContain(await designs.count());
  expect(await gallery.locator('[data-testid="gallery-design"][data-phase="particles"]').count()).toBe((await designs.count()) - 6);
  const costTexts = await designs.getByTestId('gallery-cost').allTextContents();
  const shownCosts = costTexts.map(Number);
  expect(ascending(shownCosts)).toBe(true);
  // as many queries as the form said it would make
  await expect(run.getByTestId('run-queries')).toHaveText('14');
  // the run's best is the gallery's first
  await expect(run.getByTestId('run-best-cost')).toHaveText(costTexts[0]!);
  await shot(page, '64-sampled-designs', page.getByTestId('sampled-designs'));
  await shot(page, '65-runs-on-target', page.locator('section[aria-labelledby="runs-heading"]'));

  // a click plays the design's rollout on the ground truth
  // playing a design the run scored on the ground truth replays its query: nothing new is stored
  const stored = async (): Promise<number> => (await call<{ total: number }>(request, 'queries.list', { projectId, limit: 1 })).total;
  const queriesBefore = await stored();
  await designs.first().getByTestId('gallery-play').click();
  await expect(page.getByTestId('replay-caption')).toContainText('cost', { timeout: 60_000 });
  await expect(page.getByTestId('diffusion-sampling').getByTestId('player-view')).toHaveAttribute('data-view', 'replay');
  expect(await stored()).toBe(queriesBefore);

  await shot(page, '66-replay', page.getByTestId('diffusion-sampling'));

  // 5. the best designs, exported as CSV and as JSON
  const csvDownload = page.waitForEvent('download');
  await page.getByTestId('export-samples-csv').click();
  const csv = (await saved(await csvDownload)).trim().split('\n');
  expect(csv).toHaveLength(1 + 6);
  const header = csv[0]!.split(',');
  expect(header.slice(0, 16)).toEqual(['query_id', 'design_id', 'task_x', 'task_y', 'cost', 'capture', 'method', 'run', 'job_id', 'phase', 'simulator', 'diffusion_model_id', 'learned_model_id', 'settings', 'seed', 'created_at']);
  expect(header.filter((c) => /^x\d+$/.test(c))).toEqual(Array.from({ length: JOINTS }, (_, j) => `x${j}`));
  expect(header.filter((c) => /^angle_\d+_rad$/.test(c))).toHaveLength(JOINTS);
  const rows = csv.slice(1).map((line) => line.split(','));
  const column = (name: string): string[] => rows.map((r) => r[header.indexOf(name)]!);
  const csvCosts = column('cost').map(Number);
  expect(ascending(csvCosts)).toBe(true);
  expect(csvCosts.map((c) => c.toPrecision(4))).toEqual(shownCosts.map((c) => c.toPrecision(4)));
  expect(new Set(column('method'))).toEqual(new Set(['ddm+cond+ps']));
  expect(new Set(column('simulator'))).toEqual(new Set(['ground_truth']));
  // provenance: the sampling job, the diffusion model, the sampler's settings and the seed on every row; each row a kept design
  expect(new Set(column('job_id')).size).toBe(1);
  expect(Number(column('job_id')[0])).toBeGreaterThan(0);
  expect(column('run').every((r) => r === `ddm+cond+ps-${column('job_id')[0]}`)).toBe(true);
  expect(new Set(column('diffusion_model_id')).size).toBe(1);
  expect(Number(column('diffusion_model_id')[0])).toBeGreaterThan(0);
  expect(column('settings').every((v) => /^sampler=ddim;.*conditional\.enabled=true;.*particles\.enabled=true/.test(v))).toBe(true);
  expect(column('seed').every((v) => v !== '')).toBe(true);
  expect(column('design_id').every((v) => Number(v) > 0)).toBe(true);
  expect(column('phase').every((v) => v === 'final' || v === 'particles')).toBe(true);
  expect(column('task_x').map(Number).every((x) => Math.abs(x - 0.4) < 1e-6)).toBe(true);
  expect(column('task_y').map(Number).every((y) => Math.abs(y - 0.07) < 1e-6)).toBe(true);
  for (const r of rows) {
    const design = Array.from({ length: JOINTS }, (_, j) => Number(r[header.indexOf(`x${j}`)]));
    expect(design.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
  }

  const jsonDownload = page.waitForEvent('download');
  await page.getByTestId('export-samples-json').click();
  const json = JSON.parse(await saved(await jsonDownload)) as { query_id: number; cost: number; method: string; design: number[]; angles: number[]; settings: { sampler: string } }[];
  expect(json).toHaveLength(6);
  expect(json.map((d) => d.query_id)).toEqual(column('query_id').map(Number));
  expect(json.every((d) => d.settings.sampler === 'ddim')).toBe(true);
  expect(ascending(json.map((d) => d.cost))).toBe(true);
  expect(json.every((d) => d.method === 'ddm+cond+ps' && d.design.length === JOINTS && d.angles.length === JOINTS)).toBe(true);

  // the paper's benchmark: its plot where it has been measured, else a note saying how to measure it
  const benchmark = page.getByTestId('benchmark-paper');
  await expect(benchmark.getByTestId('benchmark-missing').or(benchmark.getByTestId('benchmark-plot'))).toBeVisible();
  await shot(page, '67-paper-benchmark', benchmark);
  if ((await benchmark.getAttribute('data-measured')) === 'yes') {
    // the SVG loads as a data URL under the page's Content-Security-Policy
    await expect.poll(() => benchmark.getByTestId('benchmark-plot').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  } else {
    await expect(benchmark.getByTestId('benchmark-missing')).toContainText('npm run bench:paper');
  }

  // a design opens in the Simulator tab with its target
  await designs.first().getByTestId('gallery-open').click();
  await expect(page.getByTestId('tab-simulator')).toHaveClass(/tabs__tab--active/);
  await expect(page.getByTestId('task-x')).toHaveValue('0.4');
  await expect(page.getByTestId('task-y')).toHaveValue('0.07');

  // 6. a long sampling run is cancelled from its progress; the gallery keeps the finished run
  await page.getByTestId('tab-sample').click();
  // a new visit keeps the target, and starts the form afresh: particle sampling is off again
  await expect(page.getByTestId('task-x')).toHaveValue('0.4');
  await expect(page.getByTestId('sample-particles-enabled')).not.toBeChecked();
  await page.getByTestId('sample-particles-enabled').check();
  // 50 rounds of 512 particles: minutes of ground-truth queries even with the WebAssembly MPM
  // (about 15 ms a rollout), so the cancel always lands on a running job
  await page.getByTestId('sample-ps-rounds').fill('50');
  await page.getByTestId('sample-ps-count').fill('512');
  await page.getByTestId('start-sample').click();
  const progress = page.getByTestId('diffusion-sampling').getByTestId('inline-job');
  await expect(progress).toHaveAttribute('data-job-status', /queued|running/);
  await progress.getByTestId('cancel-job').click({ timeout: 30_000 });
  const cancelled = page.locator('[data-testid="optimize-run"][data-kind="sample"][data-status="cancelled"]');
  await expect(cancelled).toHaveCount(1, { timeout: 60_000 });
  await expect(progress).toHaveCount(0);
  await expect(page.getByTestId('sample-gallery').locator('[data-testid="gallery-design"][data-phase="final"]')).toHaveCount(6);

  // 7. the model is deleted after confirmation; its sampled designs stay
  await page.getByTestId('tab-designs').click();
  // the tab opens on "no rows" until its first page has come
  await expect(page.getByTestId('pager-range')).toHaveText(/^rows /);
  const total = (await page.getByTestId('pager-range').textContent())!.trim();
  // the 14 queries of the first run, the one of the played rollout, and the cancelled run's
  expect(Number(/of (\d+)$/.exec(total)?.[1])).toBeGreaterThanOrEqual(15);
  await page.getByTestId('tab-diffusion').click();
  await model.getByTestId('model-delete').click();
  const confirm = page.getByTestId('delete-model-dialog');
  await expect(confirm.getByTestId('delete-model-name')).toHaveText('Small prior');
  await confirm.getByTestId('confirm-delete').click();
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId('diffusion-models-empty')).toBeVisible();
  await page.getByTestId('tab-designs').click();
  await expect(page.getByTestId('pager-range')).toHaveText(total);

  expect(errors).toEqual([]);
});

test('a diffusion training is stopped and resumed to its own step budget', async ({ page, request }) => {
  test.setTimeout(240_000);
  const errors = watchForPageErrors(page);
  const project = await call<{ id: number }>(request, 'projects.create', { name: 'E2E diffusion resume', settings: { particles: 36, frames: 14 } });
  created.push(project.id);
  await call(request, 'datasets.importOptimization', {
    projectId: project.id,
    name: 'CEM runs',
    source: { fileName: 'trajectories.csv', base64: Buffer.from(trajectoryCsv(JOINTS, RUNS, ITERATIONS)).toString('base64') },
  });

  await openTab(page, project.id, 'diffusion');
  await page.getByTestId('open-diffusion-train').click();
  const dialog = page.getByTestId('diffusion-train-dialog');
  // a slow learning rate and a long patience: early stopping must not end it before the stops (a full run once ended it first)
  for (const [field, value] of Object.entries({ width: '16', blocks: '1', batchSize: '16', learningRate: '0.00001', steps: '100000', evalEvery: '5', patience: '100' })) {
    await dialog.getByTestId(`diffusion-${field}`).fill(value);
  }
  await dialog.getByTestId('start-diffusion-training').click();
  const row = page.getByTestId('diffusion-model-row');
  await expect(row).toHaveAttribute('data-model-status', 'training', { timeout: 30_000 });
  await expect(row.getByTestId('model-progress')).toHaveText(/step (5|[1-9]\d+) \/ 100000/, { timeout: 60_000 });
  await expect(row.getByRole('progressbar')).toBeVisible();

  await row.getByTestId('model-stop').click();
  await expect(row).toHaveAttribute('data-model-status', 'interrupted', { timeout: 30_000 });
  const stoppedAt = Number((await row.getByTestId('model-steps').textContent())!.split('/')[0]);

  await row.getByTestId('model-resume').click();
  await expect(row).toHaveAttribute('data-model-status', 'training', { timeout: 30_000 });
  // the original budget and network, not the schema's defaults
  await expect(row.getByTestId('model-progress')).toContainText('/ 100000');
  await expect(row.getByTestId('model-denoiser')).toContainText('16 × 1');
  await expect
    .poll(async () => Number((await row.getByTestId('model-steps').textContent())!.split('/')[0]), { timeout: 60_000 })
    .toBeGreaterThan(stoppedAt);
  await row.getByTestId('model-stop').click({ timeout: 30_000 });
  await expect(row).toHaveAttribute('data-model-status', 'interrupted', { timeout: 30_000 });
  // the curves kept what came before the stop
  await expect.poll(async () => Number(await page.getByTestId('diffusion-loss-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);

  expect(errors).toEqual([]);
});

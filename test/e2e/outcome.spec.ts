import { readFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type Download } from '@playwright/test';
import { JobParams } from '../../src-shared/api';
import { call, deleteCreatedProjectsAfterEach, drawnPixels, openTab, pageShot, server, shot, watchForPageErrors, trajectoryCsv } from './support';

// The learned outcome model against a real `idw serve` (see global-setup.ts), through the UI: a
// new project trains a small outcome model from its own ground-truth rollouts, shows it ready with
// its fidelity, and then it is the energy of a guided diffusion sampling run and of an Adam run,
// whose best designs are exported; a rollout never plays on it.

test.use({ viewport: { width: 1280, height: 1100 } });

/** projects this file made, removed after each test: the other files expect a workbench of their own making */
const created = deleteCreatedProjectsAfterEach();

const JOINTS = 8;
const ROLLOUTS = 60;

interface Job {
  id: number;
  status: string;
  error: string | null;
}


/**
 * A tiny diffusion prior, made through the API while the outcome model trains (the Diffusion
 * tab's own flow is diffusion.spec.ts's subject): import the trajectories, start its training.
 */
async function startDiffusionPrior(request: APIRequestContext, projectId: number): Promise<number> {
  const dataset = await call<{ id: number }>(request, 'datasets.importOptimization', {
    projectId,
    name: 'CEM runs',
    source: { fileName: 'trajectories.csv', base64: Buffer.from(trajectoryCsv(JOINTS)).toString('base64') },
  });
  const job = await call<Job>(request, 'jobs.start', {
    kind: 'diffusion.train',
    projectId,
    params: { name: 'Small prior', datasetIds: [dataset.id], width: 32, blocks: 2, timesteps: 50, batchSize: 32, steps: 150, evalEvery: 25 },
  });
  return job.id;
}

async function jobStatus(request: APIRequestContext, projectId: number, jobId: number): Promise<string | undefined> {
  const jobs = await call<Job[]>(request, 'jobs.list', { projectId });
  const mine = jobs.find((j) => j.id === jobId);
  return mine?.status === 'failed' ? `failed: ${mine.error}` : mine?.status;
}

async function saved(download: Download): Promise<string> {
  const path = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(path);
  return readFileSync(path, 'utf8');
}

/** a CSV export as its header and rows, each row by column name */
function table(csv: string): { header: string[]; rows: Record<string, string>[] } {
  const [head, ...lines] = csv.trim().split('\n');
  const header = head!.split(',');
  return { header, rows: lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i]!, v]))) };
}

test('an outcome model is trained from the UI, then guides diffusion sampling and Adam, whose best designs are exported', async ({ page, request }) => {
  test.setTimeout(240_000);
  const errors = watchForPageErrors(page);

  // 1. a small project (few particles and frames keep the ground-truth rollouts quick), from the dialog
  await page.goto(server().url);
  await page.getByTestId('new-project').click();
  await page.getByTestId('project-name-input').fill('E2E outcome');
  await page.getByTestId('setting-particles').fill('36');
  await page.getByTestId('setting-frames').fill('14');
  await page.getByTestId('create-project-submit').click();
  await expect(page.getByTestId('create-project-dialog')).toBeHidden();
  await page.getByTestId('project-row').filter({ hasText: 'E2E outcome' }).getByTestId('project-link').click();
  await expect(page.getByTestId('page-title')).toHaveText('E2E outcome');
  const projectId = Number(/#\/projects\/(\d+)/.exec(page.url())?.[1]);
  expect(projectId).toBeGreaterThan(0);
  created.push(projectId);
  await expect(page.getByTestId('design-dim')).toHaveText(`d = ${JOINTS}`);
  const diffusionJob = await startDiffusionPrior(request, projectId);

  // 2. the Simulator tab: an outcome models section beside the GNS one, empty, and its train dialog
  await page.getByTestId('tab-simulator').click();
  const section = page.getByTestId('outcome-models');
  await expect(section).toContainText('cost and capture for any target follow exactly');
  await expect(section.getByTestId('outcome-models-empty')).toBeVisible();
  await expect(page.getByTestId('learned-models')).toBeVisible();
  await section.getByTestId('open-outcome-train').click();
  const dialog = page.getByTestId('outcome-train-dialog');
  await expect(dialog).toBeVisible();
  // a new project stores no outcome yet: 2,000 rollouts are proposed, the rest from the schema's defaults
  const defaults = JobParams['outcome.train'].parse({});
  await expect(dialog.getByTestId('outcome-stored-count')).toContainText('this project has 0 ground-truth queries');
  await expect(dialog.getByTestId('outcome-generate')).toHaveValue('2000');
  await expect(dialog.getByTestId('outcome-useStored')).toBeChecked();
  await expect(dialog.getByTestId('outcome-hidden')).toHaveValue(defaults.hidden.join(', '));
  await expect(dialog.getByTestId('outcome-steps')).toHaveValue(String(defaults.steps));
  await expect(dialog.getByTestId('outcome-learningRate')).toHaveValue(String(defaults.learningRate));
  await expect(dialog.getByTestId('outcome-estimate-rollouts')).toContainText('2,000 × 90 ms');
  await expect(dialog.getByTestId('outcome-estimate-basis')).toContainText('built-in figure (bench:physics');
  // no outcome model trained here yet: a few steps of this network are timed on this machine, and the dialog says so
  await expect(dialog.getByTestId('outcome-estimate-source')).toHaveAttribute('data-source', 'calibration', { timeout: 60_000 });
  await expect(dialog.getByTestId('outcome-estimate-source')).toContainText(`A step, measured on this machine just now`);
  await expect(dialog.getByTestId('outcome-estimate-source')).toContainText(`${JOINTS} → ${defaults.hidden.join(' → ')} →`);
  // no data at all: refused next to the field, before the server is asked
  await dialog.getByTestId('outcome-useStored').uncheck();
  await dialog.getByTestId('outcome-generate').fill('0');
  await expect(dialog.locator('.field', { has: page.getByTestId('outcome-generate') }).getByTestId('field-error')).toContainText('no training data');
  await expect(dialog.getByTestId('start-outcome-training')).toBeDisabled();
  await dialog.getByTestId('outcome-useStored').check();
  // a malformed hidden layer: refused as typed
  await dialog.getByTestId('outcome-hidden').fill('128, 4');
  await expect(dialog.locator('.field', { has: page.getByTestId('outcome-hidden') }).getByTestId('field-error')).toHaveText('must be at least 8');
  await dialog.getByTestId('outcome-hidden').fill('64, 64');
  await dialog.getByTestId('outcome-name').fill('Small outcome');
  await dialog.getByTestId('outcome-generate').fill(String(ROLLOUTS));
  await dialog.getByTestId('outcome-steps').fill('200');
  await dialog.getByTestId('outcome-evalEvery').fill('50');
  await dialog.getByTestId('outcome-validationFraction').fill('0.2');
  await expect(dialog.getByTestId('outcome-estimate-rollouts')).toContainText(`${ROLLOUTS} × 90 ms`);
  await expect(dialog.getByTestId('outcome-estimate-steps')).toContainText('at most 200 steps');
  await expect(dialog.getByTestId('field-error')).toHaveCount(0);
  await shot(page, '81-outcome-train-dialog', dialog);
  await dialog.getByTestId('start-outcome-training').click();
  await expect(dialog).toBeHidden();

  // 3. the model appears once its rollouts are made, trains with live curves and goes to ready with its fidelity
  const row = section.getByTestId('outcome-model-row').filter({ hasText: 'Small outcome' });
  await expect(row).toBeVisible({ timeout: 60_000 });
  await row.getByTestId('model-details').click();
  const details = page.getByTestId('outcome-details-panel');
  await expect(details).toBeVisible();
  await expect(row).toHaveAttribute('data-model-status', 'ready', { timeout: 90_000 });
  // 60 designs, 12 held out; 200 steps, a curve point every 50
  await expect(row.getByTestId('model-examples')).toContainText('48');
  await expect(row.getByTestId('model-examples')).toContainText('12 held out');
  await expect(row.getByTestId('model-steps')).toContainText('200');
  await expect(row.getByTestId('model-fidelity-mean')).toHaveText(/^mean [−-]?\d\.\d{3}$/);
  await expect(row.getByTestId('model-fidelity-worst')).toHaveText(/^worst [−-]?\d\.\d{3}$/);
  await expect(row.getByTestId('model-fidelity-more')).toContainText('pick rank ≤');
  await expect(row.getByTestId('model-fidelity-capture')).toHaveText(/^capture err\. \d/);
  await expect(row.getByTestId('model-fidelity-size')).toHaveText('12 designs × 8 tasks');
  // 12 designs are far too few for an "ok", whatever ρ came out; the badge says what is short
  await expect(row.getByTestId('model-fidelity-verdict')).toHaveText(/^(only 12 designs|mean below 0\.95|worst task below 0\.9|below target)$/);
  await expect(details.getByTestId('details-fidelity-explanation')).toContainText('only 12 designs (< 300)');
  await expect(details.getByTestId('fidelity-tasks').locator('tbody tr')).toHaveCount(8);
  await expect(details.getByTestId('model-config')).toContainText(`${JOINTS} → 64 → 64 →`);
  const loss = details.getByTestId('loss-chart');
  await expect(loss).toHaveAttribute('data-points', /^\d+$/);
  expect(Number(await loss.getAttribute('data-points'))).toBeGreaterThanOrEqual(5);
  expect(await drawnPixels(loss)).toBeGreaterThan(1000);
  expect(await drawnPixels(details.getByTestId('fidelity-chart'))).toBeGreaterThan(1000);
  const modelId = Number(await row.getAttribute('data-model-id'));
  await details.scrollIntoViewIfNeeded();
  await shot(page, '82-outcome-model-ready', section);

  // the network as ONNX: a protobuf ModelProto, whose first field (ir_version) is tag 0x08
  const onnxDownload = page.waitForEvent('download');
  await row.getByTestId('model-export').click();
  const onnx = await onnxDownload;
  expect(onnx.suggestedFilename()).toMatch(/\.onnx$/);
  const onnxBytes = readFileSync((await onnx.path())!);
  expect(onnxBytes.length).toBeGreaterThan(1000);
  expect(onnxBytes[0]).toBe(0x08);

  // the next dialog counts the new rollouts, times them, and calibrates from this model; it can fine-tune it
  await section.getByTestId('open-outcome-train').click();
  await expect(dialog.getByTestId('outcome-stored-count')).toContainText(`this project has ${ROLLOUTS} ground-truth queries`);
  await expect(dialog.getByTestId('outcome-estimate-basis')).toContainText(`median wall time of this project's ${ROLLOUTS} newest`);
  await expect(dialog.getByTestId('outcome-estimate-basis')).toContainText('A step, measured on this machine: “Small outcome”, the newest outcome model trained here');
  await dialog.getByTestId('outcome-start-from').selectOption({ label: `Fine-tune “Small outcome” (#${modelId})` });
  await expect(dialog.getByTestId('outcome-hidden')).toHaveCount(0);
  await expect(dialog).toContainText('its network stays: hidden 64 × 64');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  // an outcome model plays no rollout: the Simulator tab's learned choice offers GNS models only
  await expect(page.getByTestId('simulator-choice-learned')).toBeDisabled();
  await expect(page.getByTestId('learned-model-select').locator('option')).toHaveText(['none ready']);

  // 4. energy-guided sampling through the outcome model, the default learned model
  await expect.poll(() => jobStatus(request, projectId, diffusionJob), { timeout: 120_000, intervals: [500, 1000] }).toBe('succeeded');
  await page.getByTestId('tab-sample').click();
  await expect(page.getByTestId('sample-model')).toHaveValue(/\d+/);
  await page.getByTestId('task-x').fill('0.4');
  await page.getByTestId('task-y').fill('0.07');
  await page.getByTestId('sample-count').fill('6');
  await page.getByTestId('sample-ddimSteps').fill('10');
  await page.getByTestId('sample-energy-enabled').check();
  const picker = page.getByTestId('sample-simulator-model');
  await expect(picker).toHaveValue(String(modelId));
  await expect(picker).toHaveAttribute('data-kind', 'outcome');
  await expect(picker.locator('optgroup')).toHaveAttribute('label', /^Outcome models/);
  await expect(page.getByTestId('sample-simulator-model-fidelity')).toContainText('outcome model · ρ');
  await expect(page.getByTestId('sample-simulator-model-fidelity')).toContainText('within task');
  await expect(page.getByTestId('sample-simulator-model-verdict')).toBeVisible();
  // an outcome model's gradients cost nothing worth a warning
  await expect(page.getByTestId('sample-simulator-model-cost')).toHaveCount(0);
  await expect(page.getByTestId('sample-plan')).toContainText('energy');
  await expect(page.getByTestId('sample-plan')).toContainText('about 6 ground-truth queries (6 designs) and 60 gradients of the learned model');
  // ground-truth checks are on by default where an outcome model guides; a short fine-tune is asked for
  await expect(page.getByTestId('sample-refine-enabled')).toBeChecked();
  await page.getByTestId('sample-refine-steps').fill('20');
  await shot(page, '83-energy-guided-sample-form', page.getByTestId('diffusion-sampling'));
  await page.getByTestId('start-sample').click();

  const sampleRun = page.locator('[data-testid="optimize-run"][data-kind="sample"]');
  await expect(sampleRun).toHaveAttribute('data-status', 'succeeded', { timeout: 90_000 });
  await expect(sampleRun.getByTestId('run-queries')).toHaveText('6');
  await expect(sampleRun).toContainText('60 energy evaluations');
  await expect(sampleRun).toContainText('outcome model “Small outcome”');
  // scored on the ground truth already: the refinement fine-tuned a new outcome model without new queries
  await expect(sampleRun.getByTestId('run-refinement')).toContainText('outcome model refined: “Small outcome · refined”');
  const refined = (await call<{ id: number; name: string; kind: string }[]>(request, 'models.list', { projectId, kind: 'outcome' })).find((m) => m.name === 'Small outcome · refined')!;
  expect(refined).toBeTruthy();
  const designs = page.getByTestId('sample-gallery').getByTestId('gallery-design');
  await expect(designs).toHaveCount(6);
  const shownCosts = (await designs.getByTestId('gallery-cost').allTextContents()).map(Number);
  // a sampled design plays on the ground truth
  await designs.first().getByTestId('gallery-play').click();
  await expect(page.getByTestId('replay-caption')).toContainText('on the ground truth', { timeout: 60_000 });

  // its designs, exported: the 6 designs, scored on the ground truth, cheapest first
  const csvDownload = page.waitForEvent('download');
  await page.getByTestId('export-samples-csv').click();
  const samples = table(await saved(await csvDownload));
  expect(samples.rows).toHaveLength(6);
  expect(samples.header.filter((c) => /^x\d+$/.test(c))).toHaveLength(JOINTS);
  expect(samples.rows.map((r) => Number(r.cost!).toPrecision(4))).toEqual(shownCosts.map((c) => c.toPrecision(4)));
  expect(new Set(samples.rows.map((r) => r.method))).toEqual(new Set(['ddm+energy+cond']));
  expect(new Set(samples.rows.map((r) => r.simulator))).toEqual(new Set(['ground_truth']));
  expect(samples.rows.every((r) => Math.abs(Number(r.task_x) - 0.4) < 1e-6 && Math.abs(Number(r.task_y) - 0.07) < 1e-6)).toBe(true);

  // the polished preset fills the form with bench:paper's polished setting (not run here: its 51 ground-truth queries are the engine tests' part)
  await page.getByTestId('sample-simulator-ground_truth').click();
  await page.getByTestId('sample-energy-enabled').uncheck();
  await page.getByTestId('sample-preset-polished').click();
  await expect(page.getByTestId('sample-count')).toHaveValue('256');
  await expect(page.getByTestId('sample-ddimSteps')).toHaveValue('25');
  await expect(page.getByTestId('sample-simulator-learned')).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByTestId('sample-energy-enabled')).toBeChecked();
  await expect(page.getByTestId('sample-energy-scale')).toHaveValue('3');
  await expect(page.getByTestId('sample-energy-lastSteps')).toHaveValue('25');
  await expect(page.getByTestId('sample-simulator-model')).toHaveAttribute('data-kind', 'outcome');
  await expect(page.getByTestId('sample-refine-enabled')).toBeChecked();
  await expect(page.getByTestId('sample-refine-checks')).toHaveValue('8');
  await expect(page.getByTestId('sample-refine-steps')).toHaveValue('0');
  await expect(page.getByTestId('sample-refine-polish')).toHaveValue('43');
  await expect(page.getByTestId('sample-refine-screen')).toHaveValue('4');
  await expect(page.getByTestId('sample-refine-screen-draws')).toHaveValue('2');
  await expect(page.getByTestId('sample-refine-stored')).toHaveValue('8');
  await expect(page.getByTestId('sample-plan')).toContainText('about 256 learned queries (256 designs)');
  await expect(page.getByTestId('start-sample')).toBeEnabled();
  await shot(page, '83b-polished-preset', page.getByTestId('diffusion-sampling'));

  // 5. Adam through the outcome model, picked by default: the newest, the refined one; its best 3 checked on the ground truth
  await page.getByTestId('optimizer-adam').click();
  await expect(page.getByTestId('optimize-simulator-learned')).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByTestId('optimize-model')).toHaveValue(String(refined.id));
  await expect(page.getByTestId('optimize-model-fidelity')).toContainText('outcome model');
  await page.getByTestId('optimize-budget').fill('30');
  await expect(page.getByTestId('optimize-refine-enabled')).toBeChecked();
  await page.getByTestId('optimize-refine-checks').fill('3');
  await page.getByTestId('optimize-refine-steps').fill('0');
  await page.getByTestId('optimize-refine-polish').fill('4');
  // a screening larger than the polish is refused where it is typed; one check screened with two draws fits
  await page.getByTestId('optimize-refine-screen').fill('3');
  await page.getByTestId('optimize-refine-screen-draws').fill('2');
  await expect(page.locator('.field', { has: page.getByTestId('optimize-refine-screen') }).getByTestId('field-error')).toContainText('more than polish allows');
  await expect(page.getByTestId('start-optimize')).toBeDisabled();
  await page.getByTestId('optimize-refine-screen').fill('1');
  await expect(page.locator('.field', { has: page.getByTestId('optimize-refine-screen') }).getByTestId('field-error')).toHaveCount(0);
  // two of the project's stored designs (its ground-truth queries, costed here from their outcomes) join the checks, with no new query
  await page.getByTestId('optimize-refine-stored').fill('300');
  await expect(page.locator('.field', { has: page.getByTestId('optimize-refine-stored') }).getByTestId('field-error')).toBeVisible();
  await page.getByTestId('optimize-refine-stored').fill('2');
  await shot(page, '84-adam-form', page.getByTestId('optimize-form'));
  await page.getByTestId('start-optimize').click();
  const adamRun = page.locator('[data-testid="optimize-run"][data-kind="optimize"]');
  await expect(adamRun).toHaveAttribute('data-status', 'succeeded', { timeout: 60_000 });
  await expect(adamRun.getByTestId('run-queries')).toHaveText('30');
  await expect(adamRun).toContainText('learned · budget 30 · outcome model “Small outcome · refined”');
  await expect(adamRun.getByTestId('run-refinement')).toContainText('checked on the ground truth (3 queries): best');
  await expect(adamRun.getByTestId('run-refinement')).toContainText('checked on the ground truth only (0 fine-tuning steps)');
  await expect(adamRun.getByTestId('run-refinement')).toContainText(/polished \(4 queries, 2 screening the cheapest checks\) from \d/);
  await expect(adamRun.getByTestId('run-refinement')).toContainText(/2 stored designs joined \(the cheapest \d[^)]* for this task\)/);
  // the Stored designs panel: the project's cheapest for this target, from the same stored outcomes
  const stored = page.getByTestId('stored-designs');
  await expect(stored.getByTestId('stored-design-row')).toHaveCount(5);
  const storedCosts = (await stored.getByTestId('stored-design-cost').allTextContents()).map(Number);
  expect(storedCosts.every((c, i) => Number.isFinite(c) && (i === 0 || storedCosts[i - 1]! <= c))).toBe(true);
  // and as a file: the cheapest for this target, costed for it, each naming the query it came from
  const storedDownload = page.waitForEvent('download');
  await stored.getByTestId('export-stored-csv').click();
  const storedFile = table(await saved(await storedDownload));
  expect(storedFile.rows.length).toBeGreaterThanOrEqual(5);
  expect(storedFile.rows.every((r) => Number(r.query_id) > 0 && r.task_x === '0.4' && r.task_y === '0.07')).toBe(true);
  // the same designs as the API answers now (the panel reads again a few seconds after the run's last queries)
  const now = await call<{ rows: { id: number; taskCost: number }[] }>(request, 'queries.stored', { projectId, task: [0.4, 0.07], count: 5 });
  expect(storedFile.rows.slice(0, 5).map((r) => Number(r.query_id))).toEqual(now.rows.map((r) => r.id));
  expect(storedFile.rows.slice(0, 5).map((r) => Number(r.cost))).toEqual(now.rows.map((r) => r.taskCost));
  await pageShot(page, '85-sample-and-adam-runs');

  // 6. the best Adam designs, exported from the Designs tab: learned queries of the outcome model and its ground-truth checks
  await page.getByTestId('tab-designs').click();
  await expect(page.getByTestId('export-method').locator('option', { hasText: 'adam' })).toHaveCount(1);
  await page.getByTestId('export-format').selectOption('csv');
  await page.getByTestId('export-top-k').fill('5');
  await page.getByTestId('export-method').selectOption('adam');
  const topDownload = page.waitForEvent('download');
  await page.getByTestId('export-top').click();
  const top = table(await saved(await topDownload));
  expect(top.rows).toHaveLength(5);
  const costs = top.rows.map((r) => Number(r.cost));
  expect(costs.every((c, i) => Number.isFinite(c) && (i === 0 || costs[i - 1]! <= c))).toBe(true);
  expect(new Set(top.rows.map((r) => r.method))).toEqual(new Set(['adam']));
  const adamRows = await call<{ total: number; rows: { simulator: string; modelId: number | null }[] }>(request, 'queries.list', { projectId, method: 'adam', limit: 500 });
  // 30 learned steps, 3 checks and 4 polish queries on the ground truth
  expect(adamRows.total).toBe(37);
  expect(adamRows.rows.filter((r) => r.simulator === 'ground_truth')).toHaveLength(7);
  // every row names the learned model the Adam run followed: its learned queries and its ground-truth checks alike
  for (const r of top.rows) expect(r.learned_model_id).toBe(String(refined.id));
  expect(new Set(top.rows.map((r) => r.job_id)).size).toBeGreaterThan(0);
  expect(top.rows.every((r) => Number(r.job_id) > 0 && /^optimizer=adam;/.test(r.settings!))).toBe(true);
  for (const r of top.rows) {
    const design = Array.from({ length: JOINTS }, (_, j) => Number(r[`x${j}`]));
    expect(design.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
  }

  // a design of the outcome model's opens in the Simulator tab on the ground truth, never on the outcome model
  await page.getByTestId('tab-simulator').click();
  await page.getByTestId('query-row').first().click();
  await expect(page.getByTestId('simulator-choice-ground_truth')).toHaveAttribute('aria-checked', 'true');
  await page.getByTestId('run-simulation').click();
  await expect(page.getByTestId('sim-simulator')).toHaveText('Ground truth (MPM)', { timeout: 30_000 });
  await pageShot(page, '86-simulator-tab');

  expect(errors).toEqual([]);
});

test('an outcome training is stopped, resumed to its own step budget, and the model deleted after confirmation', async ({ page, request }) => {
  test.setTimeout(120_000);
  const errors = watchForPageErrors(page);
  const project = await call<{ id: number }>(request, 'projects.create', { name: 'E2E outcome resume', settings: { particles: 36, frames: 14, joints: 4 } });
  created.push(project.id);
  await openTab(page, project.id, 'simulator');

  const section = page.getByTestId('outcome-models');
  await section.getByTestId('open-outcome-train').click();
  const dialog = page.getByTestId('outcome-train-dialog');
  // a slow learning rate and a long patience: early stopping must not end it before the stop
  for (const [field, value] of Object.entries({ generate: '24', hidden: '16', learningRate: '0.00001', steps: '100000', evalEvery: '100', patience: '100' })) {
    await dialog.getByTestId(`outcome-${field}`).fill(value);
  }
  await dialog.getByTestId('start-outcome-training').click();
  await expect(dialog).toBeHidden();
  const row = section.getByTestId('outcome-model-row');
  await expect(row).toHaveAttribute('data-model-status', 'training', { timeout: 60_000 });
  await expect(row.getByTestId('model-progress')).toHaveText(/step [1-9]\d+ \/ 100000/, { timeout: 60_000 });
  await expect(row.getByRole('progressbar')).toBeVisible();
  await shot(page, '87-outcome-training-live', section);

  await row.getByTestId('model-stop').click();
  await expect(row).toHaveAttribute('data-model-status', 'interrupted', { timeout: 30_000 });
  await expect(row.getByTestId('model-export')).toHaveCount(0);
  const stoppedAt = Number((await row.getByTestId('model-steps').textContent())!.split('/')[0]);

  await row.getByTestId('model-resume').click();
  await expect(row).toHaveAttribute('data-model-status', 'training', { timeout: 30_000 });
  // the original budget, not the schema's default
  await expect(row.getByTestId('model-progress')).toContainText('/ 100000');
  await expect
    .poll(async () => Number((await row.getByTestId('model-steps').textContent())!.split('/')[0]), { timeout: 60_000 })
    .toBeGreaterThan(stoppedAt);
  await row.getByTestId('model-stop').click();
  await expect(row).toHaveAttribute('data-model-status', 'interrupted', { timeout: 30_000 });
  // the curves kept what came before the stop
  await row.getByTestId('model-details').click();
  await expect.poll(async () => Number(await page.getByTestId('outcome-details-panel').getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);

  const name = (await row.getByTestId('model-name').textContent())!.trim();
  await row.getByTestId('model-delete').click();
  const confirm = page.getByTestId('delete-model-dialog');
  await expect(confirm).toContainText('Delete outcome model');
  await expect(confirm.getByTestId('delete-model-name')).toHaveText(name);
  await confirm.getByTestId('confirm-delete').click();
  await expect(confirm).toBeHidden();
  await expect(section.getByTestId('outcome-models-empty')).toBeVisible();

  expect(errors).toEqual([]);
});

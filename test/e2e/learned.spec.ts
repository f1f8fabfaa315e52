import { statSync } from 'node:fs';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { JobParams } from '../../src-shared/api';
import { call, deleteCreatedProjectsAfterEach, drawnPixels, openTab, shot, watchForPageErrors } from './support';

// The learned simulator on the Simulator tab against a real `idw serve` (see global-setup.ts):
// train a tiny GNS from the train dialog and watch it go to ready with live curves, read its
// details, run it, compare it with the ground truth side by side, export it as ONNX, and stop,
// resume and delete a second one.

test.use({ viewport: { width: 1280, height: 1100 } });

interface Job {
  id: number;
  status: string;
  error: string | null;
}

/** projects this file made, removed after each test: the other files expect a workbench of their own making */
const created = deleteCreatedProjectsAfterEach();

/** A small project (a tiny scene trains in seconds) with a finished 6-design physics dataset. */
async function projectWithDataset(request: APIRequestContext, name: string): Promise<number> {
  const project = await call<{ id: number }>(request, 'projects.create', {
    name,
    settings: { particles: 36, frames: 14, joints: 4 },
  });
  created.push(project.id);
  const job = await call<Job>(request, 'jobs.start', {
    kind: 'dataset.physics',
    projectId: project.id,
    params: { name: 'Six designs', count: 6, seed: 2 },
  });
  await expect
    .poll(
      async () => {
        const jobs = await call<Job[]>(request, 'jobs.list', { projectId: project.id });
        const mine = jobs.find((j) => j.id === job.id);
        return mine?.status === 'failed' ? `failed: ${mine.error}` : mine?.status;
      },
      { timeout: 60_000, intervals: [250, 500, 1000] },
    )
    .toBe('succeeded');
  return project.id;
}

async function fillTrainSettings(page: Page, settings: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(settings)) await page.getByTestId(`train-${key}`).fill(value);
}

const TINY_NETWORK = { latent: '16', messagePassingSteps: '2', mlpLayers: '1' };

test('a tiny learned simulator is trained live, inspected, run, compared with the ground truth and exported', async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  const errors = watchForPageErrors(page);
  const projectId = await projectWithDataset(request, 'E2E learned');
  await openTab(page, projectId, 'simulator');

  // before any model: the learned choice is disabled and says why
  await expect(page.getByTestId('models-empty')).toBeVisible();
  await expect(page.getByTestId('simulator-choice-learned')).toBeDisabled();
  await expect(page.getByTestId('no-learned-hint')).toBeVisible();
  await expect(page.getByTestId('compare-toggle')).toBeDisabled();
  await shot(page, '21-learned-empty');

  // the train dialog: the dataset, a tiny network, and the estimate before starting
  await page.getByTestId('open-train-dialog').click();
  const dialog = page.getByTestId('train-dialog');
  await expect(dialog).toBeVisible();
  // the fields start from the schema's defaults
  const defaults = JobParams['gns.train'].parse({ datasetIds: [1] });
  await expect(page.getByTestId('train-latent')).toHaveValue(String(defaults.latent));
  await expect(page.getByTestId('train-radius')).toHaveValue(String(defaults.radius));
  await expect(page.getByTestId('train-steps')).toHaveValue(String(defaults.steps));
  const dataset = dialog.getByTestId('train-dataset').filter({ hasText: 'Six designs' });
  await expect(dataset).toContainText('6 trajectories');
  await expect(page.getByTestId('train-estimate-basis')).toContainText('built-in figure of 0.4 s per step');
  const defaultEstimate = await page.getByTestId('train-estimate-total').textContent();

  // no dataset chosen: refused inline
  await dataset.getByTestId('train-dataset-check').uncheck();
  await expect(dialog.getByTestId('field-error')).toHaveText('choose at least one physics dataset');
  await expect(page.getByTestId('start-training')).toBeDisabled();
  await dataset.getByTestId('train-dataset-check').check();
  // a value outside the schema's bounds: refused next to its field
  await page.getByTestId('train-latent').fill('4');
  await expect(dialog.getByTestId('field-error')).toHaveText('must be at least 8');
  await expect(page.getByTestId('start-training')).toBeDisabled();

  await fillTrainSettings(page, { ...TINY_NETWORK, steps: '20', evalEvery: '10', fidelityDesigns: '6' });
  await expect(dialog.getByTestId('field-error')).toHaveCount(0);
  await expect(page.getByTestId('train-estimate')).toContainText('Estimate: about');
  await expect(page.getByTestId('train-estimate')).toContainText('at most 20 steps');
  await expect(page.getByTestId('train-estimate')).toContainText('6 fidelity designs');
  // a smaller network and budget is estimated shorter
  await expect(page.getByTestId('train-estimate-total')).not.toHaveText(defaultEstimate!);
  await shot(page, '22-train-dialog', dialog);
  await page.getByTestId('start-training').click();
  await expect(dialog).toBeHidden();

  // the model appears, trains with live curve points and goes to ready
  const row = page.getByTestId('model-row');
  await expect(row).toHaveCount(1);
  await row.getByTestId('model-details').click();
  const details = page.getByTestId('model-details-panel');
  await expect(details).toBeVisible();
  const lossChart = details.getByTestId('loss-chart');
  await expect.poll(async () => Number(await lossChart.getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  await expect(row).toHaveAttribute('data-model-status', 'ready', { timeout: 120_000 });
  await expect(row.getByTestId('model-status')).toHaveText('ready');
  // two evaluations: training and validation points at steps 10 and 20, and the best one marked
  await expect(lossChart).toHaveAttribute('data-points', '5');
  await expect(row.getByTestId('model-steps')).toContainText('20');
  await expect(row.getByTestId('model-spearman')).toHaveText(/^[−-]?\d\.\d{3}/);
  // six fidelity designs are too few for an "ok", whatever ρ came out
  await expect(row.getByTestId('model-fidelity-verdict')).toHaveText(/^(below target|only 6 designs)$/);
  await expect(details.getByTestId('details-fidelity-explanation')).toContainText('at least 100 held-out designs');
  await expect(row.getByTestId('model-position-error')).toContainText('f10');
  await expect(row.getByTestId('model-position-error')).toContainText('f13');
  await expect(details.getByTestId('position-errors').locator('tbody tr')).toHaveCount(2);
  await expect(details.getByTestId('model-config')).toContainText('Latent size');
  const fidelityChart = details.getByTestId('fidelity-chart');
  // six designs and the two ends of the y = x line
  await expect(fidelityChart).toHaveAttribute('data-points', '8');
  expect(await drawnPixels(lossChart)).toBeGreaterThan(1000);
  expect(await drawnPixels(fidelityChart)).toBeGreaterThan(1000);
  await details.scrollIntoViewIfNeeded();
  await shot(page, '23-model-ready-details', page.getByTestId('learned-models'));

  // the next estimate is calibrated from this model's measured seconds per step
  await page.getByTestId('open-train-dialog').click();
  await expect(page.getByTestId('train-estimate-basis')).toContainText(`Measured on this machine: “${(await row.getByTestId('model-name').textContent())!.trim()}”, the newest model trained here`);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  // the learned simulator answers a run, and says so
  await expect(page.getByTestId('simulator-choice-learned')).toBeEnabled();
  await page.getByTestId('simulator-choice-learned').click();
  await expect(page.getByTestId('simulator-choice-learned')).toHaveAttribute('aria-checked', 'true');
  const modelName = (await row.getByTestId('model-name').textContent())!.trim();
  await expect(page.getByTestId('simulator-choice-learned')).toHaveText(`Learned: ${modelName}`);
  // the chosen model's fidelity is in view where it is chosen, and in its option
  const rho = (await row.getByTestId('model-spearman').textContent())!.trim().slice(0, 5);
  await expect(page.getByTestId('picker-fidelity')).toContainText(`Cost fidelity ρ ${rho} on 6 held-out designs`);
  await expect(page.getByTestId('picker-fidelity-verdict')).toHaveText(/^(below target|only 6 designs)$/);
  await expect(page.getByTestId('learned-model-select').locator('option').first()).toContainText(`ρ ${rho}`);
  await page.getByTestId('joint-input-2').fill('0.4');
  await page.getByTestId('run-simulation').click();
  await expect(page.getByTestId('sim-cost')).toHaveText(/^\d/, { timeout: 30_000 });
  await expect(page.getByTestId('sim-simulator')).toHaveText(`Learned: ${modelName}`);
  await expect(page.getByTestId('play-toggle')).toHaveAttribute('data-playing', 'true');
  await expect(page.getByTestId('frame-counter')).toHaveText(/^frame \d+ \/ 14$/);
  await expect(page.getByTestId('query-row').first()).toContainText('learned');
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('frame-scrubber').fill('13');
  await shot(page, '24-learned-run', page.getByTestId('simulator-main'));

  // Compare: the same design and target through both, two canvases driven by one set of controls
  await page.getByTestId('compare-toggle').check();
  await expect(page.getByTestId('player-view')).toHaveCount(2);
  await expect(page.getByTestId('run-simulation')).toHaveText('Run both');
  await page.getByTestId('run-simulation').click();
  const views = page.getByTestId('player-view');
  await expect(views.nth(0).getByTestId('view-cost')).toHaveText(/^\d/, { timeout: 30_000 });
  await expect(views.nth(1).getByTestId('view-cost')).toHaveText(/^\d/);
  await expect(views.nth(0).getByTestId('view-caption')).toContainText('Ground truth (MPM)');
  await expect(views.nth(1).getByTestId('view-caption')).toContainText(`Learned: ${modelName}`);
  await expect(views.nth(0).getByTestId('view-capture')).toHaveText(/%$/);
  await expect(page.getByTestId('cost-difference')).toHaveText(/^[+−±]/);
  await expect(page.getByTestId('comparison').getByTestId('comparison-cost')).toHaveCount(2);
  await expect(page.getByTestId('play-toggle')).toHaveCount(1);
  await expect(page.getByTestId('play-toggle')).toHaveAttribute('data-playing', 'true');
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('frame-scrubber').fill('9');
  for (const canvas of await page.getByTestId('sim-canvas').all()) await expect(canvas).toHaveAttribute('data-frame', '9');
  await shot(page, '25-compare', page.getByTestId('simulator-main'));

  // Export ONNX: a download of the model file
  const downloading = page.waitForEvent('download');
  await row.getByTestId('model-export').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/\.onnx$/);
  const exported = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(exported);
  expect(statSync(exported).size).toBeGreaterThan(1000);

  // Fine-tune: a new model from this one's weights; its network settings are not asked again
  const baseId = (await row.getAttribute('data-model-id'))!;
  await page.getByTestId('open-train-dialog').click();
  await expect(page.getByTestId('train-latent')).toBeVisible();
  await page.getByTestId('train-start-from').selectOption({ label: `Fine-tune “${modelName}” (#${baseId})` });
  await expect(page.getByTestId('train-latent')).toHaveCount(0);
  await expect(page.getByTestId('train-radius')).toHaveCount(0);
  await expect(dialog).toContainText('its network stays: latent 16');
  await page.getByTestId('train-name').fill('tuned');
  await fillTrainSettings(page, { steps: '10', evalEvery: '10', fidelityDesigns: '0' });
  await page.getByTestId('start-training').click();
  await expect(dialog).toBeHidden();
  const tuned = page.getByTestId('model-row').filter({ hasText: 'tuned' });
  await expect(tuned).toHaveAttribute('data-model-status', 'ready', { timeout: 120_000 });
  await tuned.getByTestId('model-details').click();
  await expect(page.getByTestId('model-details-panel').getByTestId('model-config')).toContainText(`model #${baseId} (fine-tuned)`);
  await expect(page.getByTestId('model-details-panel').getByTestId('model-config')).toContainText('Latent size16');

  expect(errors).toEqual([]);
});

test('a training is stopped, resumed to its own step budget and the model deleted after confirmation', async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  const errors = watchForPageErrors(page);
  const projectId = await projectWithDataset(request, 'E2E resume');
  await openTab(page, projectId, 'simulator');

  await page.getByTestId('open-train-dialog').click();
  await fillTrainSettings(page, { ...TINY_NETWORK, steps: '100000', evalEvery: '5', patience: '100', fidelityDesigns: '0' });
  await page.getByTestId('start-training').click();
  const row = page.getByTestId('model-row');
  await expect(row).toHaveAttribute('data-model-status', 'training');
  // live progress from the first evaluations on
  await expect(row.getByTestId('model-progress')).toHaveText(/step (5|[1-9]\d+) \/ 100000/, { timeout: 60_000 });
  await expect(row.getByRole('progressbar')).toBeVisible();
  await shot(page, '26-training-live', page.getByTestId('learned-models'));

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

  await row.getByTestId('model-delete').click();
  const confirm = page.getByTestId('delete-model-dialog');
  await expect(confirm.getByTestId('delete-model-name')).toHaveText((await row.getByTestId('model-name').textContent())!.trim());
  await shot(page, '27-delete-model-confirm');
  await confirm.getByTestId('confirm-delete').click();
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId('model-row')).toHaveCount(0);
  await expect(page.getByTestId('models-empty')).toBeVisible();
  expect(await call<unknown[]>(request, 'models.list', { projectId })).toEqual([]);

  expect(errors).toEqual([]);
});

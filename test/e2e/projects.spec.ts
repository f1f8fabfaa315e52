import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { call, server, shot, watchForPageErrors } from './support';

// The projects page against a real `idw serve` (see global-setup.ts): what a user does with the
// create, list and delete flows, and that the page keeps to its Content-Security-Policy.

/** Project names as the server has them, read past the UI. */
async function projectNames(request: APIRequestContext): Promise<string[]> {
  const projects = await call<{ name: string }[] | undefined>(request, 'projects.list', {});
  return (projects ?? []).map((p) => p.name);
}

async function openWorkbench(page: Page): Promise<void> {
  await page.goto(server().url);
  await expect(page.getByTestId('page-title')).toHaveText('Projects');
}

function projectRow(page: Page, name: string) {
  return page.getByTestId('project-row').filter({ has: page.getByTestId('project-link').getByText(name, { exact: true }) });
}

test('a project is created from the dialog, survives a reload and is deleted after confirmation', async ({
  page,
  request,
}) => {
  const errors = watchForPageErrors(page);
  await openWorkbench(page);
  await expect(page.getByTestId('projects-empty')).toBeVisible();
  await expect(page.getByTestId('jobs-panel')).toBeVisible();
  await shot(page, '01-empty');

  await page.getByTestId('new-project').click();
  const dialog = page.getByTestId('create-project-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('setting-joints')).toHaveValue('8');
  await page.getByTestId('project-name-input').fill('E2E tank');
  await page.getByTestId('setting-joints').fill('6');
  await shot(page, '02-create-dialog');
  await page.getByTestId('create-project-submit').click();
  await expect(dialog).toBeHidden();

  const row = projectRow(page, 'E2E tank');
  await expect(row).toHaveCount(1);
  await expect(row.locator('td').nth(1)).toHaveText('FluidTool-2D');
  await expect(row.locator('td').nth(2)).toHaveText('6');
  await expect(row.locator('td').nth(6)).toHaveText('—');
  await shot(page, '03-listed');

  await page.reload();
  await expect(projectRow(page, 'E2E tank')).toHaveCount(1);

  await projectRow(page, 'E2E tank').getByTestId('project-link').click();
  await expect(page.getByTestId('page-title')).toHaveText('E2E tank');
  await expect(page.getByTestId('design-dim')).toHaveText('d = 6');
  await expect(page.getByTestId('generate-dataset')).toBeVisible();
  await shot(page, '04-project-page');
  await page.getByTestId('tab-sample').click();
  await expect(page.getByRole('heading', { name: 'Diffusion sampling' })).toBeVisible();
  await expect(page.getByTestId('sample-no-model')).toBeVisible();
  await page.getByTestId('nav-projects').click();

  await projectRow(page, 'E2E tank').getByTestId('delete-project').click();
  const confirm = page.getByTestId('delete-project-dialog');
  await expect(confirm).toBeVisible();
  await expect(confirm.getByTestId('delete-project-name')).toHaveText('E2E tank');
  await expect(confirm).toContainText('files on disk');
  await shot(page, '05-delete-confirm');
  await page.getByTestId('confirm-delete').click();
  await expect(confirm).toBeHidden();
  await expect(projectRow(page, 'E2E tank')).toHaveCount(0);
  await expect(page.getByTestId('projects-empty')).toBeVisible();
  expect(await projectNames(request)).not.toContain('E2E tank');

  expect(errors).toEqual([]);
});

test('an out-of-range field is reported in the dialog and nothing is created', async ({ page, request }) => {
  const errors = watchForPageErrors(page);
  await openWorkbench(page);
  await page.getByTestId('new-project').click();
  const dialog = page.getByTestId('create-project-dialog');
  await page.getByTestId('project-name-input').fill('Too many joints');
  await page.getByTestId('setting-joints').fill('99');
  await page.getByTestId('create-project-submit').click();

  const jointsField = dialog.locator('.field', { has: page.getByTestId('setting-joints') });
  await expect(jointsField.getByTestId('field-error')).toHaveText('must be at most 32');
  await expect(page.getByTestId('setting-joints')).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog).toBeVisible();
  await shot(page, '06-validation');

  // fixing the field clears its message
  await page.getByTestId('setting-joints').fill('12');
  await expect(jointsField.getByTestId('field-error')).toHaveCount(0);

  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  expect(await projectNames(request)).not.toContain('Too many joints');
  await expect(projectRow(page, 'Too many joints')).toHaveCount(0);

  expect(errors).toEqual([]);
});

test('a duplicate name is refused by the server and shown next to the name', async ({ page, request }) => {
  const { origin, token } = server();
  const created = await request.post(`${origin}/api/projects.create`, {
    headers: { 'x-idw-token': token },
    data: { name: 'Existing tank' },
  });
  expect(created.ok()).toBe(true);

  await openWorkbench(page);
  await expect(projectRow(page, 'Existing tank')).toHaveCount(1);
  await page.getByTestId('new-project').click();
  const dialog = page.getByTestId('create-project-dialog');
  await page.getByTestId('project-name-input').fill('Existing tank');
  await page.getByTestId('create-project-submit').click();
  const nameField = dialog.locator('.field', { has: page.getByTestId('project-name-input') });
  await expect(nameField.getByTestId('field-error')).toBeVisible();
  await expect(dialog).toBeVisible();
  await shot(page, '07-conflict');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await projectNames(request)).filter((n) => n === 'Existing tank')).toHaveLength(1);

  await projectRow(page, 'Existing tank').getByTestId('delete-project').click();
  await page.getByTestId('confirm-delete').click();
  await expect(projectRow(page, 'Existing tank')).toHaveCount(0);
});

test('the self-check started on the About page shows live in the jobs panel', async ({ page }) => {
  const errors = watchForPageErrors(page);
  await openWorkbench(page);
  await page.getByTestId('nav-about').click();
  await expect(page.getByTestId('capability-sqlite')).toContainText('Available');
  // no Redis URL set on this data folder: the queue line says rollouts run locally
  await expect(page.getByTestId('capability-facts')).toContainText('Ground-truth queue');
  await expect(page.getByTestId('capability-facts')).toContainText('No Redis URL is set: ground-truth rollouts run on the local pool');
  await page.getByTestId('run-selfcheck').click();

  const job = page.getByTestId('jobs-panel').getByTestId('job-row').first();
  await expect(job).toContainText('Self-check');
  await expect(job).toHaveAttribute('data-job-status', /succeeded|failed/, { timeout: 45_000 });
  await shot(page, '08-about-selfcheck');
  await expect(job).toHaveAttribute('data-job-status', 'succeeded');

  expect(errors).toEqual([]);
});

test('the About page sets the ground-truth queue, refuses a bad URL, and goes back to this machine', async ({ page }) => {
  const errors = watchForPageErrors(page);
  await openWorkbench(page);
  await page.getByTestId('nav-about').click();
  const queue = page.getByTestId('queue-settings');
  await expect(queue.getByTestId('queue-detail')).toContainText('This machine');
  await expect(queue.getByTestId('queue-local')).toBeDisabled();
  // refused in the form with the API's own message; nothing changes
  await queue.getByTestId('queue-url').fill('http://127.0.0.1:6379');
  await queue.getByTestId('queue-use').click();
  await expect(queue).toContainText('must be a redis:// or rediss:// URL');
  await expect(queue.getByTestId('queue-detail')).toContainText('This machine');
  try {
    // a Redis nobody listens on: stored, and the page says jobs fall back to this machine
    await queue.getByTestId('queue-url').fill('redis://:secret@127.0.0.1:1');
    await queue.getByTestId('queue-use').click();
    await expect(queue.getByTestId('queue-detail')).toContainText('could not be reached', { timeout: 20_000 });
    await expect(queue.getByTestId('queue-detail')).toContainText('fall back to the local pool');
    await expect(queue.getByTestId('queue-detail')).not.toContainText('secret');
    await expect(page.getByTestId('capability-facts')).toContainText('127.0.0.1:1');
    await shot(page, '08-about-queue');
  } finally {
    await queue.getByTestId('queue-local').click();
  }
  await expect(queue.getByTestId('queue-detail')).toContainText('This machine');
  await expect(page.getByTestId('capability-facts')).toContainText('No Redis URL is set');
  expect(errors).toEqual([]);
});

test('a project is renamed from its own page and the list follows', async ({ page, request }) => {
  const { origin, token } = server();
  const created = await request.post(`${origin}/api/projects.create`, {
    headers: { 'x-idw-token': token },
    data: { name: 'Rename me', settings: { joints: 10 } },
  });
  const { result } = (await created.json()) as { result: { id: number } };

  await page.goto(server().url);
  await page.goto(`${origin}/#/projects/${result.id}`);
  await expect(page.getByTestId('page-title')).toHaveText('Rename me');
  await expect(page.getByTestId('design-dim')).toHaveText('d = 10');
  await page.getByTestId('rename-project').click();
  await page.getByTestId('rename-project-input').fill('Renamed tank');
  await page.getByTestId('confirm-rename').click();
  await expect(page.getByTestId('page-title')).toHaveText('Renamed tank');

  await page.getByTestId('nav-projects').click();
  await expect(projectRow(page, 'Renamed tank')).toHaveCount(1);
  await expect(projectRow(page, 'Rename me')).toHaveCount(0);

  await page.goto(`${origin}/#/projects/999999`);
  await expect(page.getByTestId('project-not-found')).toBeVisible();
  await shot(page, '09-not-found');
  await page.getByRole('link', { name: '← Back to projects' }).click();
  await expect(page.getByTestId('page-title')).toHaveText('Projects');

  await projectRow(page, 'Renamed tank').getByTestId('delete-project').click();
  await page.getByTestId('confirm-delete').click();
  await expect(projectRow(page, 'Renamed tank')).toHaveCount(0);
});

test('a running job is cancelled from the jobs panel', async ({ page, request }) => {
  const { origin, token } = server();
  await openWorkbench(page);
  const started = await request.post(`${origin}/api/jobs.start`, {
    headers: { 'x-idw-token': token },
    data: { kind: 'selfcheck', params: { matmulSize: 1024, repeats: 200 } },
  });
  const { result } = (await started.json()) as { result: { id: number } };

  // the job arrives through the job.updated event, not a reload
  const job = page.getByTestId('jobs-panel').locator(`[data-job-id="${result.id}"]`);
  await expect(job).toHaveAttribute('data-job-status', 'running', { timeout: 20_000 });
  await expect(job.getByRole('progressbar')).toBeVisible();
  await shot(page, '10-job-running');
  await job.getByTestId('cancel-job').click();
  await expect(job).toHaveAttribute('data-job-status', 'cancelled', { timeout: 20_000 });
  await expect(job.getByTestId('cancel-job')).toHaveCount(0);
});

import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';

// What every spec needs against the `idw serve` that global-setup.ts started: where it is and its
// data directory, a typed call into its API, page-error collection, opening a project tab, and
// project clean-up.

export function server(): { url: string; origin: string; token: string; dataDir: string } {
  const { IDW_E2E_URL: url, IDW_E2E_ORIGIN: origin, IDW_E2E_TOKEN: token, IDW_E2E_DATA_DIR: dataDir } = process.env;
  if (!url || !origin || !token || !dataDir) throw new Error('global-setup did not start the workbench server');
  return { url, origin, token, dataDir };
}

export async function call<T>(request: APIRequestContext, method: string, args: object): Promise<T> {
  const { origin, token } = server();
  const response = await request.post(`${origin}/api/${method}`, { headers: { 'x-idw-token': token }, data: args });
  const envelope = (await response.json()) as { ok: boolean; result?: T; error?: { message: string } };
  expect(envelope.ok, envelope.error?.message).toBe(true);
  return envelope.result as T;
}

/** Console errors and uncaught exceptions, CSP violations included, collected for the whole test. */
export function watchForPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

export async function openTab(page: Page, projectId: number, tab: string): Promise<void> {
  const { url, origin } = server();
  await page.goto(url);
  await page.goto(`${origin}/#/projects/${projectId}/${tab}`);
  await expect(page.getByTestId(`tab-${tab}`)).toHaveClass(/tabs__tab--active/);
}

/**
 * Ids of the projects a spec file makes, deleted after each of its tests: the other files
 * expect a workbench of their own making. Call once at the top of the file.
 */
export function deleteCreatedProjectsAfterEach(): number[] {
  const created: number[] = [];
  test.afterEach(async ({ request }) => {
    while (created.length) await call(request, 'projects.delete', { id: created.pop()! });
  });
  return created;
}

/** A screenshot of the viewport, or of one element, kept with the test's results. */
export async function shot(page: Page, name: string, target?: Locator): Promise<void> {
  const path = test.info().outputPath(`${name}.png`);
  if (target) await target.screenshot({ path });
  else await page.screenshot({ path });
}

/** A screenshot of the whole page, kept with the test's results. */
export async function pageShot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

/** Pixels a chart has drawn on its canvas (Chart.js leaves the rest transparent). */
export async function drawnPixels(chart: Locator): Promise<number> {
  return chart.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn++;
    return drawn;
  });
}

/** a small deterministic generator (LCG), so a fixture is the same on every machine */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * CEM-like optimization runs as a trajectory CSV (8 runs × 12 iterations of a `joints`-joint
 * design by default), each run on its own target inside the default task range (x 0.3–0.9,
 * y 0.05–0.09): the designs close in on a per-run optimum as the cost falls.
 */
export function trajectoryCsv(joints: number, runs = 8, iterations = 12): string {
  const random = lcg(7);
  const header = ['run', 'optimizer', 'iteration', 'task_x', 'task_y', ...Array.from({ length: joints }, (_, j) => `x${j}`), 'cost'];
  const lines = [header.join(',')];
  for (let run = 0; run < runs; run++) {
    const task = [0.35 + 0.5 * random(), 0.05 + 0.04 * random()];
    const optimum = Array.from({ length: joints }, () => 1.2 * random() - 0.6);
    for (let it = 0; it < iterations; it++) {
      const spread = 0.6 * (1 - it / iterations) + 0.05;
      const design = optimum.map((o) => Math.max(-1, Math.min(1, o + spread * (2 * random() - 1))));
      const cost = 0.02 + 0.2 * spread + 0.01 * random();
      lines.push([`run-${run + 1}`, 'cem', it, task[0]!.toFixed(3), task[1]!.toFixed(3), ...design.map((v) => v.toFixed(4)), cost.toFixed(5)].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

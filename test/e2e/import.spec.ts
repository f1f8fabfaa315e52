import { writeFileSync } from 'node:fs';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { call, deleteCreatedProjectsAfterEach, openTab, shot, watchForPageErrors } from './support';

// The trajectory import dialog's column mapping: names optimizers and dashboards write
// (run_id, iter, target_x/target_y, loss, p0…p7) are mapped without help and shown as written;
// a file with names it cannot guess is mapped by hand (its warnings clear as fields are chosen)
// with the "design columns, in order" shortcut; another file with the same columns keeps that
// mapping; an import error is shown once, with its row and column.

test.use({ viewport: { width: 1366, height: 900 } });

const created = deleteCreatedProjectsAfterEach();
const JOINTS = 8;

async function createProject(request: APIRequestContext, name: string): Promise<number> {
  const project = await call<{ id: number }>(request, 'projects.create', { name, settings: { joints: JOINTS } });
  created.push(project.id);
  return project.id;
}

function csv(header: string[], rows: (string | number)[][]): string {
  return `${[header.join(','), ...rows.map((r) => r.join(','))].join('\n')}\n`;
}

/** runs × iterations rows in the given layout: run, iteration, tx, ty, cost, the design */
function rows(runs: number, iterations: number, bad?: { row: number; entry: number; value: string }): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < iterations; i++) {
      const design: (string | number)[] = Array.from({ length: JOINTS }, (_, j) => Number((((r + i + j) % 9) / 10 - 0.4).toFixed(2)));
      if (bad && out.length + 1 === bad.row) design[bad.entry] = bad.value;
      out.push([`r${r + 1}`, i, 0.5, 0.07, Number((0.5 - i * 0.02 - r * 0.01).toFixed(3)), ...design]);
    }
  }
  return out;
}

test('the import dialog maps common column names, keeps a hand mapping for the same columns, and shows an error once', async ({ page, request }) => {
  const errors = watchForPageErrors(page);
  const projectId = await createProject(request, 'E2E import mapping');
  await openTab(page, projectId, 'data');

  // 1. run_id, iter, target_x/target_y, loss, p0…p7: all detected, headers shown as written
  const common = ['Run_ID', 'iter', 'target_x', 'target_y', 'loss', ...Array.from({ length: JOINTS }, (_, j) => `p${j}`)];
  const first = test.info().outputPath('common-names.csv');
  writeFileSync(first, csv(common, rows(2, 5)));
  await page.getByTestId('trajectory-file').setInputFiles(first);
  const preview = page.getByTestId('trajectory-preview');
  await expect(preview).toBeVisible();
  await expect(preview.locator('thead th')).toHaveText(common);
  await expect(preview.locator('thead th').first()).toHaveCSS('text-transform', 'none');
  await expect(page.getByTestId('map-run')).toHaveValue('Run_ID');
  await expect(page.getByTestId('map-iteration')).toHaveValue('iter');
  await expect(page.getByTestId('map-cost')).toHaveValue('loss');
  await expect(page.getByTestId('map-task-0')).toHaveValue('target_x');
  await expect(page.getByTestId('map-task-1')).toHaveValue('target_y');
  for (let j = 0; j < JOINTS; j++) await expect(page.getByTestId(`map-design-${j}`)).toHaveValue(`p${j}`);
  await expect(page.getByTestId('trajectory-problems')).toHaveCount(0);
  await shot(page, '35-import-common-names', page.getByTestId('trajectory-import'));
  await page.getByTestId('trajectory-name').fill('Common names');
  await page.getByTestId('trajectory-submit').click();
  await expect(page.getByTestId('dataset-row').filter({ hasText: 'Common names' })).toBeVisible();

  // 2. names it cannot guess: the warnings name what is missing and clear as each is chosen by hand
  const odd = ['seed', 'iteration', 'gx', 'gy', 'score', ...Array.from({ length: JOINTS }, (_, j) => `j${j + 1}`)];
  const second = test.info().outputPath('odd-names.csv');
  writeFileSync(second, csv(odd, rows(2, 5)));
  await page.getByTestId('trajectory-file').setInputFiles(second);
  const problems = page.getByTestId('trajectory-problems');
  await expect(problems).toContainText('no cost column');
  await expect(problems).toContainText('no task columns');
  await expect(problems).toContainText('no design columns');
  await expect(page.getByTestId('trajectory-submit')).toBeDisabled();
  await page.getByTestId('map-cost').selectOption('score');
  await expect(problems).not.toContainText('no cost column');
  await expect(problems).toContainText('no task columns');
  await page.getByTestId('map-task-0').selectOption('gx');
  await page.getByTestId('map-task-1').selectOption('gy');
  await expect(problems).not.toContainText('no task columns');
  // the shortcut: a wrong count says so; a range sets every design entry, in order
  await page.getByTestId('map-design-list').fill('j1…j3');
  await page.getByTestId('map-design-apply').click();
  await expect(page.getByTestId('map-design-list-message')).toContainText(`3 columns; this project's designs have ${JOINTS} entries`);
  await page.getByTestId('map-design-list').fill('j1…j8');
  await page.getByTestId('map-design-apply').click();
  await expect(page.getByTestId('map-design-list-message')).toHaveCount(0);
  for (let j = 0; j < JOINTS; j++) await expect(page.getByTestId(`map-design-${j}`)).toHaveValue(`j${j + 1}`);
  await expect(problems).toHaveCount(0);
  await page.getByTestId('map-run').selectOption('seed');
  await shot(page, '36-import-mapped-by-hand', page.getByTestId('trajectory-import'));

  // 3. another file with the same columns keeps the hand mapping
  const third = test.info().outputPath('odd-names-2.csv');
  writeFileSync(third, csv(odd, rows(3, 4)));
  await page.getByTestId('trajectory-file').setInputFiles(third);
  await expect(page.getByTestId('trajectory-summary')).toContainText('same columns as the last file: its mapping is kept');
  await expect(page.getByTestId('map-cost')).toHaveValue('score');
  await expect(page.getByTestId('map-run')).toHaveValue('seed');
  await expect(page.getByTestId('map-task-1')).toHaveValue('gy');
  await expect(page.getByTestId(`map-design-${JOINTS - 1}`)).toHaveValue(`j${JOINTS}`);
  await page.getByTestId('trajectory-name').fill('Hand mapped');
  await page.getByTestId('trajectory-submit').click();
  const handRow = page.getByTestId('dataset-row').filter({ hasText: 'Hand mapped' });
  await expect(handRow).toBeVisible();
  await expect(handRow.getByTestId('dataset-records')).toContainText('12 records');
  await expect(handRow.getByTestId('dataset-records')).toContainText('3 runs');

  // 4. a bad value past the preview's rows: the error names its row and column, once
  const bad = test.info().outputPath('bad-value.csv');
  writeFileSync(bad, csv(common, rows(5, 6, { row: 27, entry: 2, value: 'abc' })));
  await page.getByTestId('trajectory-file').setInputFiles(bad);
  await expect(page.getByTestId('map-cost')).toHaveValue('loss');
  await page.getByTestId('trajectory-submit').click();
  const alert = page.getByTestId('trajectory-errors');
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('row 27, column p2');
  const text = (await alert.textContent()) ?? '';
  expect(text.match(/"abc"/g) ?? []).toHaveLength(1);
  expect(text.match(/row 27/g) ?? []).toHaveLength(1);
  await shot(page, '37-import-error-once', page.getByTestId('trajectory-import'));
  // the refused import's 400 is the one console message expected
  expect(errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e))).toEqual([]);
});

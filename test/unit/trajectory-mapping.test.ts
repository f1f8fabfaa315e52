// The import's column detection (the names optimizers and dashboards write) and the "design
// columns: these, in order" shortcut.
import { describe, expect, it } from 'vitest';
import { detectMapping } from '../../src-main/engine/datasets/trajectory-mapping';
import { parseColumnList } from '../../src-shared/column-list';

const P = Array.from({ length: 8 }, (_, k) => `p${k}`);

describe('detectMapping', () => {
  it('recognises run_id, iter, target_x/target_y, loss and p0…p7', () => {
    const { mapping, problems } = detectMapping(['run_id', 'iter', 'target_x', 'target_y', 'loss', ...P]);
    expect(problems).toEqual([]);
    expect(mapping).toEqual({ run: 'run_id', optimizer: null, iteration: 'iter', cost: 'loss', task: ['target_x', 'target_y'], design: P });
  });

  it('keeps the columns in their real case', () => {
    const { mapping } = detectMapping(['Run_ID', 'Step', 'Target_X', 'Target_Y', 'Objective', 'X_1', 'X_2', 'X_3']);
    expect(mapping).toEqual({ run: 'Run_ID', optimizer: null, iteration: 'Step', cost: 'Objective', task: ['Target_X', 'Target_Y'], design: ['X_1', 'X_2', 'X_3'] });
  });

  it.each([
    ['objective', 'objective'],
    ['value', 'value'],
    ['loss', 'loss'],
    ['energy', 'energy'],
  ])('takes %s as the cost', (name, cost) => {
    expect(detectMapping(['tx', 'ty', name, 'x0', 'x1']).mapping?.cost).toBe(cost);
  });

  it('prefers cost over the other cost names, and orders param_<k> and x_<k> by their index', () => {
    const { mapping } = detectMapping(['value', 'cost', 'task_x', 'task_y', 'param_2', 'param_0', 'param_1']);
    expect(mapping?.cost).toBe('cost');
    expect(mapping?.design).toEqual(['param_0', 'param_1', 'param_2']);
  });

  it("takes optuna's named params_<name> in the file's order, and its trial as the iteration", () => {
    const { mapping } = detectMapping(['number', 'trial', 'value', 'params_angle', 'params_bend', 'task_x', 'task_y']);
    expect(mapping).toMatchObject({ cost: 'value', iteration: 'trial', run: null, design: ['params_angle', 'params_bend'] });
  });

  it('takes trial as the run when an iteration column is there, step as the iteration', () => {
    expect(detectMapping(['trial', 'step', 'cost', 'tx', 'ty', 'x0']).mapping).toMatchObject({ run: 'trial', iteration: 'step' });
  });

  it('names the field of each detection problem, so a form can clear it once mapped by hand', () => {
    const { mapping, problems } = detectMapping(['u', 'v', 'w']);
    expect(mapping).toBeNull();
    expect(problems.map((p) => p.field)).toEqual(['cost', 'task', 'design']);
  });

  it('does not take the export columns (query_id, design_id, job_id, phase, settings, seed) for design entries', () => {
    const { mapping } = detectMapping(['query_id', 'design_id', 'task_x', 'task_y', 'cost', 'capture', 'method', 'run', 'job_id', 'phase', 'simulator', 'diffusion_model_id', 'learned_model_id', 'settings', 'seed', 'created_at', 'x0', 'x1', 'angle_1_rad', 'angle_2_rad']);
    expect(mapping).toMatchObject({ run: 'run', optimizer: 'method', cost: 'cost', design: ['x0', 'x1'] });
  });
});

describe('parseColumnList', () => {
  const columns = ['Run', 'P0', 'P1', 'P2', 'P3', 'loss', 'a b', 'z'];
  it('expands ranges written with … or .., in either direction, and returns the real case', () => {
    expect(parseColumnList('p0…p3', columns)).toEqual({ columns: ['P0', 'P1', 'P2', 'P3'] });
    expect(parseColumnList('p0 .. p2', columns)).toEqual({ columns: ['P0', 'P1', 'P2'] });
    expect(parseColumnList('p3...p1', columns)).toEqual({ columns: ['P3', 'P2', 'P1'] });
  });
  it('takes lists separated by commas, spaces or +, mixed with ranges, and a whole name with a space', () => {
    expect(parseColumnList('z, p1+p0 loss', columns)).toEqual({ columns: ['z', 'P1', 'P0', 'loss'] });
    expect(parseColumnList('p0..p1, z', columns)).toEqual({ columns: ['P0', 'P1', 'z'] });
    expect(parseColumnList('a b', columns)).toEqual({ columns: ['a b'] });
  });
  it('names the unknown column, a malformed range and a repeated column', () => {
    expect(parseColumnList('p0…p5', columns)).toEqual({ error: expect.stringMatching(/^there is no column "p4" \(from the range p0…p5/) });
    expect(parseColumnList('q1', columns)).toEqual({ error: expect.stringMatching(/^there is no column "q1"/) });
    expect(parseColumnList('p0…x3', columns)).toEqual({ error: expect.stringMatching(/is not a range like p0…p7/) });
    expect(parseColumnList('p0, P0', columns)).toEqual({ error: 'column "P0" is listed twice' });
    expect(parseColumnList('  ', columns)).toEqual({ error: expect.stringMatching(/give the design columns/) });
  });
});

// The one rule for a task (the target point) against a project's task range, shared by the
// trajectory import and the physics (.npz) import: tasks are stored as float32, so the value and
// the range's ends are compared as float32 (a task written at a range end stays inside it).
import type { TaskRange } from '../../../src-shared/environments';

/** null when entry k (0: x, 1: y) of a task lies in the project's range, else what is wrong. */
export function taskProblem(range: TaskRange, k: number, v: number): string | null {
  const lo = k === 0 ? range.xMin : range.yMin;
  const hi = k === 0 ? range.xMax : range.yMax;
  const f = Math.fround(v);
  if (f >= Math.fround(lo) && f <= Math.fround(hi)) return null;
  return `value ${v} is outside the project's task range ${'xy'[k]} ${lo}–${hi}`;
}

import type { RouteLocationRaw } from 'vue-router';

// A design and its task handed to the Simulator tab through the URL (?design=…&task=…), so any
// tab (optimizer runs, the designs table) can open a design there and a link can be shared.

export function simulatorLocation(projectId: number, design: readonly number[], task: readonly number[]): RouteLocationRaw {
  const query: Record<string, string> = { design: design.map((v) => String(Number(v.toPrecision(7)))).join(',') };
  if (task.length === 2) query.task = task.map((v) => String(Number(v.toPrecision(7)))).join(',');
  return { name: 'project-simulator', params: { id: projectId }, query };
}

/** The numbers of a `?design=` or `?task=` value; null when absent or not all finite. */
export function numbersFromQuery(value: unknown, length?: number): number[] | null {
  if (typeof value !== 'string' || !value) return null;
  const numbers = value.split(',').map(Number);
  if (numbers.some((v) => !Number.isFinite(v))) return null;
  return length === undefined || numbers.length === length ? numbers : null;
}

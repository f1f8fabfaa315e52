import type { RouteLocationRaw } from 'vue-router';

// A design and its task handed to the Simulator tab through the URL (?design=…&task=…), so any
// tab (optimizer runs, the designs table) can open a design there and a link can be shared.

/**
 * The Simulator tab with a design and its task loaded and played (&play=1). With the id of the
 * query that scored it (a ground-truth query), the stored query is replayed: nothing new is stored.
 */
export function simulatorLocation(projectId: number, design: readonly number[], task: readonly number[], queryId?: number): RouteLocationRaw {
  if (queryId !== undefined) return { name: 'project-simulator', params: { id: projectId }, query: { query: String(queryId), play: '1' } };
  const query: Record<string, string> = { design: design.map((v) => String(Number(v.toPrecision(7)))).join(',') };
  if (task.length === 2) query.task = task.map((v) => String(Number(v.toPrecision(7)))).join(',');
  query.play = '1';
  return { name: 'project-simulator', params: { id: projectId }, query };
}

/** A design's own link, by the id of the simulator query that scored it (#/projects/<id>/designs/<query id>). */
export function designLocation(projectId: number, queryId: number): RouteLocationRaw {
  return { name: 'project-design', params: { id: projectId, queryId } };
}

/** The numbers of a `?design=` or `?task=` value; null when absent or not all finite. */
export function numbersFromQuery(value: unknown, length?: number): number[] | null {
  if (typeof value !== 'string' || !value) return null;
  const numbers = value.split(',').map(Number);
  if (numbers.some((v) => !Number.isFinite(v))) return null;
  return length === undefined || numbers.length === length ? numbers : null;
}

// Reading a model's `metrics` and `config` (free-form JSON from the engine) defensively: a figure
// that is missing or malformed reads as null, never as NaN or a throw.

export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function figure(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** [[a, b], …] with both finite; other entries dropped */
export function pairs(value: unknown): [number, number][] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((p): [number, number][] => {
    if (!Array.isArray(p)) return [];
    const a = figure(p[0]);
    const b = figure(p[1]);
    return a === null || b === null ? [] : [[a, b]];
  });
}

/** the integers of a list, e.g. dataset ids */
export function integers(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => Number.isInteger(v)) : [];
}

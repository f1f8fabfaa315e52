// Small helpers for JSON records of trajectory files: how deep the text nests (checked before
// parsing, so a record cannot be nested without bound), and number literals too large for a float.

/** How deep arrays and objects nest in JSON text (strings skipped); stops counting past `max`. */
export function jsonDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // skip the string
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

/** A number literal too large for a float (JSON.parse reads it as ±Infinity), kept as its text for the message. */
export class OutOfRangeNumber {
  constructor(readonly text: string) {}
}

const HUGE_LITERAL = /\d[eE]\+?\d{3}|\d{309}/;
const NUMBER_LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Replaces ±Infinity values (from literals like 1e400) by their text, wherever they are in the
 * record (walked in document order, as JSON.parse keeps keys; the record is at most 64 deep).
 */
export function keepHugeLiterals(record: Record<string, unknown>, text: string): void {
  if (!HUGE_LITERAL.test(text)) return;
  // the literals that overflow, in the order they appear; strings are blanked so digits in them do not count
  const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const huge = (bare.match(NUMBER_LITERAL) ?? []).filter((t) => !Number.isFinite(Number(t)));
  let k = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) || Number.isNaN(v) ? v : new OutOfRangeNumber(huge[k++] ?? String(v));
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
    else if (v !== null && typeof v === 'object') for (const key of Object.keys(v)) (v as Record<string, unknown>)[key] = walk((v as Record<string, unknown>)[key]);
    return v;
  };
  walk(record);
}

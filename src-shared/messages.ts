import { z } from 'zod';

/** "a number", "an object", "an array". */
function withArticle(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** What a value is, for "got …": null, NaN, Infinity (out of the float range), an array, a string, … */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return `${v} (a number beyond the float range, e.g. 1e400, reads as infinity)`;
    return 'a number';
  }
  if (Array.isArray(v)) return 'an array';
  return withArticle(typeof v);
}

// Plain-language validation messages ("must be at most 32") for every schema of the contract.
z.config({
  customError: (iss) => {
    switch (iss.code) {
      case 'too_big':
        if (iss.origin === 'number') return `must be ${iss.inclusive ? 'at most' : 'less than'} ${iss.maximum}`;
        if (iss.origin === 'string') return `must be at most ${iss.maximum} characters`;
        return `must have at most ${iss.maximum} items`;
      case 'too_small':
        if (iss.origin === 'number') return `must be ${iss.inclusive ? 'at least' : 'greater than'} ${iss.minimum}`;
        if (iss.origin === 'string') return Number(iss.minimum) <= 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
        return `must have at least ${iss.minimum} items`;
      case 'invalid_type': {
        const expected = withArticle(String(iss.expected));
        return iss.input === undefined ? `is required (${expected})` : `must be ${expected}, got ${describe(iss.input)}`;
      }
      case 'unrecognized_keys':
        return `unknown field${iss.keys.length > 1 ? 's' : ''}: ${iss.keys.join(', ')}`;
      case 'invalid_value':
        return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
      default:
        return undefined;
    }
  },
});

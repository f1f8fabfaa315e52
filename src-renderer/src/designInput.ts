// Parsing of the number fields of the design editor and the task picker: text in, number or message out.

const NUMBER_PATTERN = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

export type ParsedNumber = { ok: true; value: number } | { ok: false; message: string };

/** A number in [lower, upper] from what was typed; accepts a true minus sign (−) too. */
export function parseBoundedNumber(text: string, lower: number, upper: number): ParsedNumber {
  const normalized = text.trim().replace(/\u2212/g, '-');
  const message = `enter a number from ${String(lower).replace('-', '−')} to ${String(upper).replace('-', '−')}`;
  if (!NUMBER_PATTERN.test(normalized)) return { ok: false, message };
  const value = Number(normalized);
  if (!Number.isFinite(value) || value < lower || value > upper) return { ok: false, message };
  return { ok: true, value };
}

/** The text a field shows for a value set from elsewhere (a slider, a click, a loaded query). */
export function numberText(value: number, digits: number): string {
  return Number(value.toFixed(digits)).toString();
}

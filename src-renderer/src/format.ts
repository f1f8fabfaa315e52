// How numbers and times read across the renderer: compact, unit-bearing, never "NaN".

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const shortDateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

/** epoch milliseconds → "12 Mar 2025, 14:02" */
export function formatDate(ms: number | null | undefined): string {
  return ms == null ? '—' : dateFormat.format(new Date(ms));
}

/** epoch milliseconds → "12 Mar, 14:02" for dense tables; the year shows only when it is not this one */
export function formatShortDate(ms: number | null | undefined): string {
  if (ms == null) return '—';
  const date = new Date(ms);
  return date.getFullYear() === new Date().getFullYear() ? shortDateFormat.format(date) : dateFormat.format(date);
}

export function formatTime(ms: number | null | undefined): string {
  return ms == null ? '—' : timeFormat.format(new Date(ms));
}

/** a cost is a distance-like figure; four significant digits are plenty to rank designs */
export function formatCost(cost: number | null | undefined): string {
  if (cost == null || !Number.isFinite(cost)) return '—';
  return Math.abs(cost) >= 1e4 || (cost !== 0 && Math.abs(cost) < 1e-3) ? cost.toExponential(3) : cost.toPrecision(4);
}

export function formatNumber(value: number, digits = 3): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(digits)));
}

export function radiansToDegrees(rad: number): number {
  return (rad * 180) / Math.PI;
}

export function degreesToRadians(deg: number): number {
  return (deg * Math.PI) / 180;
}

export function formatDegrees(rad: number): string {
  return `${formatNumber(radiansToDegrees(rad), 2)}°`;
}

export function formatPercent(fraction: number, digits = 0): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return `${(clamped * 100).toFixed(digits)}%`;
}

/** a bend with its sign, e.g. "+11.25°" or "−22.5°" */
export function formatSignedDegrees(rad: number): string {
  const deg = Number(radiansToDegrees(rad).toFixed(1));
  return `${deg > 0 ? '+' : deg < 0 ? '−' : ''}${Math.abs(deg).toFixed(1)}°`;
}

/** bytes → "1.25 MB" (decimal megabytes, as file managers show them) */
export function formatMegabytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return '—';
  const mb = bytes / 1e6;
  return `${mb >= 100 ? mb.toFixed(0) : mb >= 10 ? mb.toFixed(1) : mb.toFixed(2)} MB`;
}

/** a design vector in one short line: the first `shown` entries, then "…" */
export function formatVector(values: readonly number[], shown = 4, digits = 2): string {
  const head = values.slice(0, shown).map((v) => v.toFixed(digits).replace('-', '−'));
  return values.length > shown ? `${head.join(', ')}, …` : head.join(', ');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** an estimate's seconds, in whole seconds: "under a second", "12.0 s", "3 min 20 s" */
export function formatEstimate(seconds: number): string {
  return seconds < 1 ? 'under a second' : formatDuration(Math.round(seconds) * 1000);
}

const SUPERSCRIPT_DIGITS = '⁰¹²³⁴⁵⁶⁷⁸⁹';

/** 12 → "¹²", for powers such as [−1, 1]¹² in running text */
export function superscript(n: number): string {
  return String(n).replace(/\d/g, (d) => SUPERSCRIPT_DIGITS[Number(d)] ?? d);
}

/** [lower, upper] with a true minus sign */
export function formatInterval(lower: number, upper: number): string {
  const show = (v: number): string => formatNumber(v).replace('-', '−');
  return `[${show(lower)}, ${show(upper)}]`;
}

/** a training loss: three significant digits, in scientific notation once it is small, e.g. "3.41e-4" */
export function formatLoss(loss: number | null | undefined): string {
  if (loss == null || !Number.isFinite(loss)) return '—';
  return Math.abs(loss) >= 0.01 && Math.abs(loss) < 1e4 ? String(Number(loss.toPrecision(3))) : loss.toExponential(2);
}

/** a correlation or other signed figure with a true minus sign, e.g. "−0.657" */
export function formatSigned(value: number, digits = 3): string {
  return value.toFixed(digits).replace('-', '−');
}

/** a distance in box units with three significant digits, e.g. "0.0123" */
export function formatDistance(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '—';
  return value.toPrecision(3);
}

// "Design columns: these, in order": a list of column names typed by the user, with ranges, turned
// into the file's columns (in their real case). Used by the import dialog's shortcut and by
// `idw dataset import --map design=…`.

/**
 * Parses `p0…p7`, `p0..p7`, `a, b, c`, `a b c` or `a+b+c` (ranges and names mixed) against the
 * file's columns, matched without regard to case. A range is `<prefix><n>` to `<prefix><m>`
 * with the same prefix, counting up or down. Returns the columns in order, or an error that
 * names the first unknown column or the malformed range.
 */
export function parseColumnList(text: string, columns: readonly string[]): { columns: string[] } | { error: string } {
  const byLower = new Map<string, string>();
  for (const c of columns) if (!byLower.has(c.trim().toLowerCase())) byLower.set(c.trim().toLowerCase(), c);
  const column = (name: string): string | null => byLower.get(name.trim().toLowerCase()) ?? null;
  // a whole column name wins over splitting it (a column may hold spaces or "+")
  const whole = column(text);
  if (whole) return { columns: [whole] };
  const tokens = text
    .replace(/\s*(?:…|\.\.\.?)\s*/g, '…')
    .split(/[\s,;+]+/)
    .filter(Boolean);
  if (!tokens.length) return { error: 'give the design columns, e.g. p0…p7 or x1, x2, x3' };
  const out: string[] = [];
  for (const token of tokens) {
    const range = token.split('…');
    if (range.length === 1) {
      const c = column(token);
      if (!c) return { error: `there is no column "${token}" (columns: ${preview(columns)})` };
      out.push(c);
      continue;
    }
    const [from, to] = range;
    const a = /^(.*?)(\d+)$/.exec(from ?? '');
    const b = /^(.*?)(\d+)$/.exec(to ?? '');
    if (range.length !== 2 || !a || !b || a[1]!.toLowerCase() !== b[1]!.toLowerCase()) return { error: `"${token}" is not a range like p0…p7 (the same name before two numbers)` };
    const start = Number(a[2]);
    const end = Number(b[2]);
    if (Math.abs(end - start) > 4096) return { error: `"${token}" spans more than 4096 columns` };
    const step = end >= start ? 1 : -1;
    for (let k = start; k !== end + step; k += step) {
      const c = column(`${a[1]}${k}`);
      if (!c) return { error: `there is no column "${a[1]}${k}" (from the range ${token}; columns: ${preview(columns)})` };
      out.push(c);
    }
  }
  const seen = new Set<string>();
  for (const c of out) {
    if (seen.has(c)) return { error: `column "${c}" is listed twice` };
    seen.add(c);
  }
  return { columns: out };
}

function preview(columns: readonly string[]): string {
  return columns.length > 12 ? `${columns.slice(0, 12).join(', ')}, …` : columns.join(', ');
}

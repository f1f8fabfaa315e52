// Radius graph over particle positions with a uniform cell grid (learning_to_simulate's
// connectivity_utils, without the KD-tree): every ordered pair closer than the radius.

/**
 * positions: [N * 2]. Returns senders/receivers [E], both directions of every pair i != j with
 * |x_i - x_j| < radius, sorted by receiver then sender. Non-finite particles get no edges.
 */
export function radiusGraph(
  positions: ArrayLike<number>,
  n: number,
  radius: number,
): { senders: Int32Array; receivers: Int32Array } {
  if (!(radius > 0)) throw new Error(`radius must be positive, got ${radius}`);
  // a hair above the radius so that rounding in the division can never put a pair two cells apart
  const cell = radius * (1 + 1e-9);
  const r2 = radius * radius;
  const cells = new Map<string, number[]>();
  const keyOf = new Array<[number, number] | null>(n);
  for (let i = 0; i < n; i++) {
    const x = positions[2 * i]!;
    const y = positions[2 * i + 1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      keyOf[i] = null;
      continue;
    }
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    keyOf[i] = [cx, cy];
    const key = `${cx},${cy}`;
    const members = cells.get(key);
    if (members) members.push(i);
    else cells.set(key, [i]);
  }
  const senders: number[] = [];
  const receivers: number[] = [];
  const neighbours: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = keyOf[i];
    if (!c) continue;
    const x = positions[2 * i]!;
    const y = positions[2 * i + 1]!;
    neighbours.length = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const members = cells.get(`${c[0] + dx},${c[1] + dy}`);
        if (!members) continue;
        for (const j of members) {
          if (j === i) continue;
          const ex = positions[2 * j]! - x;
          const ey = positions[2 * j + 1]! - y;
          if (ex * ex + ey * ey < r2) neighbours.push(j);
        }
      }
    }
    neighbours.sort((a, b) => a - b);
    for (const j of neighbours) {
      senders.push(j);
      receivers.push(i);
    }
  }
  return { senders: Int32Array.from(senders), receivers: Int32Array.from(receivers) };
}

// FluidTool-2D layout and tool geometry (docs/method.md §7): pure functions shared by the simulator,
// the design editor (which redraws the tool as a slider moves) and the settings checks.

/** Unit box; walls are WALL_CELLS grid cells thick. */
export const WALL_CELLS = 3;
/** simulated seconds per frame */
export const FRAME_DT = 0.03;
export const GRAVITY = 9.8;
/** bulk modulus of the weakly compressible water (density 1): sound speed sqrt(E) */
export const BULK_MODULUS = 20;
/** fastest flow we plan for, for the time-step bound */
export const MAX_SPEED = 5;
/** tool: anchor point, angle of the straight ramp (x = 0), total length */
export const TOOL_ANCHOR: readonly [number, number] = [0.08, 0.7];
export const TOOL_BASE_ANGLE = -0.35;
export const TOOL_LENGTH = 0.55;
/** water block: top-left corner; particles on a square lattice at half the grid spacing */
export const BLOCK_TOP_LEFT: readonly [number, number] = [0.06, 0.94];
/** the block must stay this far above the tool's anchor */
const BLOCK_CLEARANCE = 0.03;

/** particle type ids as in the public GNS datasets */
export const PARTICLE_TYPE = { tool: 3, water: 5 } as const;

export function gridSpacing(grid: number): number {
  return 1 / grid;
}

/** Lattice spacing of the water block: two particles per grid cell in each direction. */
export function particleSpacing(grid: number): number {
  return gridSpacing(grid) / 2;
}

export function blockColumns(particles: number): number {
  return Math.ceil(Math.sqrt(particles));
}

/** The most water particles whose block fits above the tool at this grid resolution. */
export function maxParticles(grid: number): number {
  const s = particleSpacing(grid);
  const rows = Math.floor((BLOCK_TOP_LEFT[1] - TOOL_ANCHOR[1] - BLOCK_CLEARANCE) / s);
  const cols = Math.floor((1 - WALL_CELLS * gridSpacing(grid) - BLOCK_TOP_LEFT[0]) / s);
  return Math.max(0, Math.min(rows, cols) ** 2);
}

/** Fewest substeps per frame for a stable explicit step: dt <= 0.5 dx / (c + v_max). */
export function minSubsteps(grid: number): number {
  const dtMax = (0.5 * gridSpacing(grid)) / (Math.sqrt(BULK_MODULUS) + MAX_SPEED);
  return Math.ceil(FRAME_DT / dtMax);
}

/** Initial water positions, row by row from the top-left corner: [N * 2]. */
export function initialWaterPositions(particles: number, grid: number): Float32Array {
  const s = particleSpacing(grid);
  const cols = blockColumns(particles);
  const out = new Float32Array(particles * 2);
  for (let p = 0; p < particles; p++) {
    const r = Math.floor(p / cols);
    const c = p % cols;
    out[2 * p] = BLOCK_TOP_LEFT[0] + (c + 0.5) * s;
    out[2 * p + 1] = BLOCK_TOP_LEFT[1] - (r + 0.5) * s;
  }
  return out;
}

/**
 * Tool polyline for a design x in [-1, 1]^K: K + 1 points from the anchor, segment i at the
 * absolute angle phi_i = phi_0 + sum_{j<=i} thetaMax * x_j. Returns [(K + 1) * 2].
 */
export function toolPolyline(design: ArrayLike<number>, thetaMax: number): Float64Array {
  const k = design.length;
  const seg = TOOL_LENGTH / k;
  const pts = new Float64Array((k + 1) * 2);
  pts[0] = TOOL_ANCHOR[0];
  pts[1] = TOOL_ANCHOR[1];
  let phi = TOOL_BASE_ANGLE;
  for (let i = 0; i < k; i++) {
    phi += thetaMax * design[i]!;
    pts[2 * (i + 1)] = pts[2 * i]! + seg * Math.cos(phi);
    pts[2 * (i + 1) + 1] = pts[2 * i + 1]! + seg * Math.sin(phi);
  }
  return pts;
}

/** Kinematic tool particles along the polyline at the water's lattice spacing: [M * 2]. */
export function toolParticles(polyline: Float64Array, grid: number): Float32Array {
  const s = particleSpacing(grid);
  const out: number[] = [];
  const k = polyline.length / 2 - 1;
  for (let i = 0; i < k; i++) {
    const ax = polyline[2 * i]!;
    const ay = polyline[2 * i + 1]!;
    const bx = polyline[2 * i + 2]!;
    const by = polyline[2 * i + 3]!;
    const n = Math.max(1, Math.round(Math.hypot(bx - ax, by - ay) / s));
    for (let j = 0; j < n; j++) out.push(ax + ((bx - ax) * j) / n, ay + ((by - ay) * j) / n);
  }
  out.push(polyline[2 * k]!, polyline[2 * k + 1]!);
  return Float32Array.from(out);
}

/** Cost and capture of final water positions for a task c = (tx, ty) (docs/method.md §7). */
export function costAndCapture(water: ArrayLike<number>, task: ArrayLike<number>, radius: number): { cost: number; capture: number } {
  const n = water.length / 2;
  const tx = task[0]!;
  const ty = task[1]!;
  let sum = 0;
  let inside = 0;
  for (let p = 0; p < n; p++) {
    const dx = water[2 * p]! - tx;
    const dy = water[2 * p + 1]! - ty;
    const d2 = dx * dx + dy * dy;
    sum += d2;
    if (d2 <= radius * radius) inside++;
  }
  return { cost: sum / n, capture: inside / n };
}

/**
 * The outcome of a rollout: a task-independent summary of the water's final state from which
 * cost and capture follow for any task. [mu_x, mu_y, s2, density (OUTCOME_GRID^2, row-major
 * from the bottom-left cell)]: the centroid, the total variance (trace of the covariance) and
 * the fraction of the water in each cell of a coarse grid over the unit box.
 */
export const OUTCOME_GRID = 32;
export const OUTCOME_MOMENTS = 3;
export const OUTCOME_DIM = OUTCOME_MOMENTS + OUTCOME_GRID * OUTCOME_GRID;

export function waterOutcome(water: ArrayLike<number>): Float32Array {
  const n = water.length / 2;
  const g = OUTCOME_GRID;
  const out = new Float32Array(OUTCOME_DIM);
  let mx = 0;
  let my = 0;
  for (let p = 0; p < n; p++) {
    mx += water[2 * p]!;
    my += water[2 * p + 1]!;
  }
  mx /= n;
  my /= n;
  let s2 = 0;
  for (let p = 0; p < n; p++) {
    const x = water[2 * p]!;
    const y = water[2 * p + 1]!;
    s2 += (x - mx) ** 2 + (y - my) ** 2;
    const cx = Math.min(g - 1, Math.max(0, Math.floor(x * g)));
    const cy = Math.min(g - 1, Math.max(0, Math.floor(y * g)));
    out[OUTCOME_MOMENTS + cy * g + cx]! += 1 / n;
  }
  out[0] = mx;
  out[1] = my;
  out[2] = s2 / n;
  return out;
}

/**
 * Cost from an outcome: mean |p - c|^2 = |mu - c|^2 + s2, exact algebra (float tolerance).
 * dCost/d(mu_x, mu_y, s2) = (2 (mu_x - c_x), 2 (mu_y - c_y), 1); the density does not enter.
 */
export function outcomeCost(outcome: ArrayLike<number>, task: ArrayLike<number>): { cost: number; dMoments: [number, number, number] } {
  const dx = outcome[0]! - task[0]!;
  const dy = outcome[1]! - task[1]!;
  return { cost: dx * dx + dy * dy + outcome[2]!, dMoments: [2 * dx, 2 * dy, 1] };
}

const OVERLAP_SUBSAMPLES = 8;
/** fraction of each outcome cell inside the target disc, by OVERLAP_SUBSAMPLES^2 points a cell */
function discOverlap(task: ArrayLike<number>, radius: number): { cells: number[]; weights: number[] } {
  const g = OUTCOME_GRID;
  const h = 1 / g;
  const s = OVERLAP_SUBSAMPLES;
  const cells: number[] = [];
  const weights: number[] = [];
  const [tx, ty] = [task[0]!, task[1]!];
  const lo = (v: number): number => Math.max(0, Math.floor((v - radius) * g));
  const hi = (v: number): number => Math.min(g - 1, Math.floor((v + radius) * g));
  for (let cy = lo(ty); cy <= hi(ty); cy++) {
    for (let cx = lo(tx); cx <= hi(tx); cx++) {
      let inside = 0;
      for (let i = 0; i < s; i++) {
        for (let j = 0; j < s; j++) {
          const x = (cx + (i + 0.5) / s) * h - tx;
          const y = (cy + (j + 0.5) / s) * h - ty;
          if (x * x + y * y <= radius * radius) inside++;
        }
      }
      if (inside) {
        cells.push(cy * g + cx);
        weights.push(inside / (s * s));
      }
    }
  }
  return { cells, weights };
}

/** Capture from an outcome's density: each cell's water times the part of the cell inside the disc. */
export function outcomeCapture(outcome: ArrayLike<number>, task: ArrayLike<number>, radius: number): number {
  const { cells, weights } = discOverlap(task, radius);
  let c = 0;
  cells.forEach((cell, k) => {
    c += Math.max(0, outcome[OUTCOME_MOMENTS + cell]!) * weights[k]!;
  });
  return Math.min(1, c);
}

import { MPM_WASM_BASE64 } from './mpm-wasm.generated';

// 2D MLS-MPM water (Hu et al. 2018, the formulation of Taichi's mpm88): weakly compressible
// fluid, quadratic B-splines, APIC transfer, explicit time steps. The tool is a static polyline:
// a no-penetration boundary on the grid nodes near it, and a particle-level guard that never
// lets a particle's step cross a segment. Flat typed arrays, nothing allocated in the loops.

export interface MpmConfig {
  /** grid cells per side of the unit box */
  grid: number;
  /** recorded frames, the initial state included */
  frames: number;
  substeps: number;
  /** simulated seconds per frame */
  frameDt: number;
  gravity: number;
  /** bulk modulus E of the water (density 1) */
  bulkModulus: number;
  /** wall thickness in grid cells */
  wallCells: number;
}

export interface MpmScene {
  /** initial water positions [N * 2] */
  water: Float32Array;
  /** tool polyline [(K + 1) * 2], or null for no tool */
  tool: Float64Array | null;
}

export interface MpmResult {
  /** water positions per frame [frames * N * 2]; frame 0 is the initial state */
  positions: Float32Array;
  /** with recordSubsteps: positions after every substep [(frames - 1) * substeps + 1, N, 2] */
  substepPositions?: Float32Array;
}

/** Particles are kept this far (in cells) from the tool's segments. */
const TOOL_GAP_CELLS = 0.2;
/** Grid nodes closer than this (in cells) to the tool get the no-penetration condition. */
const TOOL_BAND_CELLS = 1.5;

interface ToolSegments {
  count: number;
  /** per segment: ax, ay, tx, ty (unit tangent), nx, ny (unit normal), length, bbox x0 y0 x1 y1 */
  data: Float64Array;
}
const SEG_STRIDE = 11;

function toolSegments(poly: Float64Array, margin: number): ToolSegments {
  const count = poly.length / 2 - 1;
  const data = new Float64Array(count * SEG_STRIDE);
  for (let s = 0; s < count; s++) {
    const ax = poly[2 * s]!;
    const ay = poly[2 * s + 1]!;
    const bx = poly[2 * s + 2]!;
    const by = poly[2 * s + 3]!;
    const len = Math.hypot(bx - ax, by - ay);
    const tx = (bx - ax) / len;
    const ty = (by - ay) / len;
    const o = s * SEG_STRIDE;
    data[o] = ax;
    data[o + 1] = ay;
    data[o + 2] = tx;
    data[o + 3] = ty;
    data[o + 4] = -ty;
    data[o + 5] = tx;
    data[o + 6] = len;
    data[o + 7] = Math.min(ax, bx) - margin;
    data[o + 8] = Math.min(ay, by) - margin;
    data[o + 9] = Math.max(ax, bx) + margin;
    data[o + 10] = Math.max(ay, by) + margin;
  }
  return { count, data };
}

/**
 * For each grid node near the tool: the unit normal pointing from the tool to the node
 * (nodes on the tool itself get a zero normal and are held still). Returns a node list.
 */
function toolBoundaryNodes(seg: ToolSegments, grid: number): { nodes: Int32Array; nx: Float64Array; ny: Float64Array } {
  const dx = 1 / grid;
  const band = TOOL_BAND_CELLS * dx;
  const nodes: number[] = [];
  const nxs: number[] = [];
  const nys: number[] = [];
  for (let j = 0; j <= grid; j++) {
    for (let i = 0; i <= grid; i++) {
      const px = i * dx;
      const py = j * dx;
      let best = Infinity;
      let bx = 0;
      let by = 0;
      for (let s = 0; s < seg.count; s++) {
        const o = s * SEG_STRIDE;
        if (px < seg.data[o + 7]! - band || px > seg.data[o + 9]! + band || py < seg.data[o + 8]! - band || py > seg.data[o + 10]! + band) continue;
        const ax = seg.data[o]!;
        const ay = seg.data[o + 1]!;
        const along = Math.min(seg.data[o + 6]!, Math.max(0, (px - ax) * seg.data[o + 2]! + (py - ay) * seg.data[o + 3]!));
        const cx = ax + along * seg.data[o + 2]!;
        const cy = ay + along * seg.data[o + 3]!;
        const d = Math.hypot(px - cx, py - cy);
        if (d < best) {
          best = d;
          bx = cx;
          by = cy;
        }
      }
      if (best < band) {
        nodes.push(i + j * (grid + 1));
        if (best > 1e-9) {
          nxs.push((px - bx) / best);
          nys.push((py - by) / best);
        } else {
          nxs.push(0);
          nys.push(0);
        }
      }
    }
  }
  return { nodes: Int32Array.from(nodes), nx: Float64Array.from(nxs), ny: Float64Array.from(nys) };
}

/**
 * The MPM's particle guard for a step made by someone else (a learned simulator): particles of
 * `moving` that would cross a tool segment stop short of it on the side they came from, and
 * every moving particle stays inside the walls. next [N*2] is corrected in place from current.
 */
export function guardStep(config: Pick<MpmConfig, 'grid' | 'wallCells'>, tool: Float64Array | null, current: ArrayLike<number>, next: Float32Array, moving: (p: number) => boolean): void {
  const dx = 1 / config.grid;
  const gap = TOOL_GAP_CELLS * dx;
  const lo = config.wallCells * dx;
  const hi = 1 - config.wallCells * dx;
  const seg = tool ? toolSegments(tool, gap) : null;
  const n = next.length / 2;
  for (let p = 0; p < n; p++) {
    if (!moving(p)) continue;
    const ox = current[2 * p]!;
    const oy = current[2 * p + 1]!;
    let nx = next[2 * p]!;
    let ny = next[2 * p + 1]!;
    if (seg) {
      for (let pass = 0; pass < 2; pass++) {
        for (let s = 0; s < seg.count; s++) {
          const o = s * SEG_STRIDE;
          const d = seg.data;
          if ((ox < d[o + 7]! && nx < d[o + 7]!) || (ox > d[o + 9]! && nx > d[o + 9]!)) continue;
          if ((oy < d[o + 8]! && ny < d[o + 8]!) || (oy > d[o + 10]! && ny > d[o + 10]!)) continue;
          const s0 = (ox - d[o]!) * d[o + 4]! + (oy - d[o + 1]!) * d[o + 5]!;
          const s1 = (nx - d[o]!) * d[o + 4]! + (ny - d[o + 1]!) * d[o + 5]!;
          if (!(s0 * s1 < 0 || (s0 !== 0 && s1 === 0))) continue;
          const along0 = (ox - d[o]!) * d[o + 2]! + (oy - d[o + 1]!) * d[o + 3]!;
          const along1 = (nx - d[o]!) * d[o + 2]! + (ny - d[o + 1]!) * d[o + 3]!;
          const alongC = along0 + (s0 / (s0 - s1)) * (along1 - along0);
          if (alongC < -1e-9 || alongC > d[o + 6]! + 1e-9) continue;
          const push = (s0 >= 0 ? gap : -gap) - s1;
          nx += push * d[o + 4]!;
          ny += push * d[o + 5]!;
        }
      }
    }
    next[2 * p] = Math.min(hi, Math.max(lo, nx));
    next[2 * p + 1] = Math.min(hi, Math.max(lo, ny));
  }
}

/**
 * The tool as both kernels use it: its segments, the grid nodes of its boundary, and the box
 * around every segment's box (x0, y0, x1, y1), outside which a step cannot touch it.
 */
function toolOf(scene: MpmScene, grid: number): { seg: ToolSegments | null; boundary: ReturnType<typeof toolBoundaryNodes> | null; toolBox: Float64Array } {
  const seg = scene.tool ? toolSegments(scene.tool, TOOL_GAP_CELLS * (1 / grid)) : null;
  const toolBox = Float64Array.of(Infinity, Infinity, -Infinity, -Infinity);
  for (let sIdx = 0; seg && sIdx < seg.count; sIdx++) {
    const o = sIdx * SEG_STRIDE;
    toolBox[0] = Math.min(toolBox[0]!, seg.data[o + 7]!);
    toolBox[1] = Math.min(toolBox[1]!, seg.data[o + 8]!);
    toolBox[2] = Math.max(toolBox[2]!, seg.data[o + 9]!);
    toolBox[3] = Math.max(toolBox[3]!, seg.data[o + 10]!);
  }
  return { seg, boundary: seg ? toolBoundaryNodes(seg, grid) : null, toolBox };
}

/**
 * The reference kernel in TypeScript. simulateMpm runs the same loop compiled to WebAssembly
 * (wasm/mpm.ts) when the runtime has WebAssembly; the two give bit-identical positions.
 */
export function simulateMpmTs(config: MpmConfig, scene: MpmScene, opts: { recordSubsteps?: boolean } = {}): MpmResult {
  const { grid, frames, substeps, bulkModulus: E, gravity } = config;
  const n = scene.water.length / 2;
  const dx = 1 / grid;
  const invDx = grid;
  const dt = config.frameDt / substeps;
  // two particles per cell in each direction: a quarter cell of volume each
  const pVol = (dx * 0.5) ** 2;
  const pMass = pVol; // density 1
  const lo = config.wallCells * dx;
  const hi = 1 - config.wallCells * dx;
  const side = grid + 1; // nodes per side
  const bound = config.wallCells;

  const x = new Float64Array(n * 2);
  for (let i = 0; i < n * 2; i++) x[i] = scene.water[i]!;
  const v = new Float64Array(n * 2);
  const C = new Float64Array(n * 4);
  const J = new Float64Array(n).fill(1);
  // the grid, one node's momentum (then velocity) and mass side by side: [vx, vy, m] at 3 node
  const g = new Float64Array(side * side * 3);
  const row3 = 3 * side;

  const { seg, boundary, toolBox } = toolOf(scene, grid);
  const gap = TOOL_GAP_CELLS * dx;

  const positions = new Float32Array(frames * n * 2);
  const substepCount = (frames - 1) * substeps + 1;
  const substepPositions = opts.recordSubsteps ? new Float32Array(substepCount * n * 2) : undefined;
  for (let i = 0; i < n * 2; i++) positions[i] = x[i]!;
  if (substepPositions) substepPositions.set(positions.subarray(0, n * 2), 0);

  const stressScale = -dt * 4 * E * pVol * invDx * invDx;
  // each particle's stencil, computed once a substep and used by both transfers (the positions do
  // not move between them): base node (bi + bj * side) and [fx, wx0, wx1, wx2, fy, wy0, wy1, wy2].
  // The arithmetic is the same, in the same order, as one stencil() per transfer: the results are
  // bit for bit those of the straightforward loops (test/unit/mpm-pinned.test.ts holds them).
  const base = new Int32Array(n);
  const sw = new Float64Array(n * 8);
  let recorded = 1;
  for (let f = 1; f < frames; f++) {
    for (let s = 0; s < substeps; s++) {
      // stencils, and the box of grid nodes the particles touch
      let iMin = side;
      let iMax = 0;
      let jMin = side;
      let jMax = 0;
      for (let p = 0; p < n; p++) {
        const xp = x[2 * p]! * invDx;
        const yp = x[2 * p + 1]! * invDx;
        const bi = Math.floor(xp - 0.5);
        const bj = Math.floor(yp - 0.5);
        const fx = xp - bi;
        const fy = yp - bj;
        const o = 8 * p;
        sw[o] = fx;
        sw[o + 1] = 0.5 * (1.5 - fx) ** 2;
        sw[o + 2] = 0.75 - (fx - 1) ** 2;
        sw[o + 3] = 0.5 * (fx - 0.5) ** 2;
        sw[o + 4] = fy;
        sw[o + 5] = 0.5 * (1.5 - fy) ** 2;
        sw[o + 6] = 0.75 - (fy - 1) ** 2;
        sw[o + 7] = 0.5 * (fy - 0.5) ** 2;
        base[p] = bi + bj * side;
        if (bi < iMin) iMin = bi;
        if (bi + 2 > iMax) iMax = bi + 2;
        if (bj < jMin) jMin = bj;
        if (bj + 2 > jMax) jMax = bj + 2;
      }
      for (let j = jMin; j <= jMax; j++) {
        const row = j * side;
        g.fill(0, 3 * (row + iMin), 3 * (row + iMax + 1));
      }
      // particle to grid
      for (let p = 0; p < n; p++) {
        const o = 8 * p;
        const fx = sw[o]!;
        const fy = sw[o + 4]!;
        const wy0 = sw[o + 5]!;
        const wy1 = sw[o + 6]!;
        const wy2 = sw[o + 7]!;
        const stress = stressScale * (J[p]! - 1);
        const a00 = stress + pMass * C[4 * p]!;
        const a01 = pMass * C[4 * p + 1]!;
        const a10 = pMass * C[4 * p + 2]!;
        const a11 = stress + pMass * C[4 * p + 3]!;
        const mvx = pMass * v[2 * p]!;
        const mvy = pMass * v[2 * p + 1]!;
        // per row j of the stencil: a01 dpy and a11 dpy (dpy = (j - fy) dx)
        const dpy0 = (0 - fy) * dx;
        const dpy1 = (1 - fy) * dx;
        const dpy2 = (2 - fy) * dx;
        const ux0 = a01 * dpy0;
        const ux1 = a01 * dpy1;
        const ux2 = a01 * dpy2;
        const uy0 = a11 * dpy0;
        const uy1 = a11 * dpy1;
        const uy2 = a11 * dpy2;
        const b = base[p]!;
        for (let i = 0; i < 3; i++) {
          const wx = sw[o + 1 + i]!;
          const dpx = (i - fx) * dx;
          // (m v + A dp) with A dp = (a00 dpx + a01 dpy, a10 dpx + a11 dpy), summed in that order
          const px = mvx + a00 * dpx;
          const py = mvy + a10 * dpx;
          // node offsets in g, three numbers a node
          const n0 = 3 * (b + i);
          const n1 = n0 + row3;
          const n2 = n1 + row3;
          let w = wx * wy0;
          g[n0] = g[n0]! + w * (px + ux0);
          g[n0 + 1] = g[n0 + 1]! + w * (py + uy0);
          g[n0 + 2] = g[n0 + 2]! + w * pMass;
          w = wx * wy1;
          g[n1] = g[n1]! + w * (px + ux1);
          g[n1 + 1] = g[n1 + 1]! + w * (py + uy1);
          g[n1 + 2] = g[n1 + 2]! + w * pMass;
          w = wx * wy2;
          g[n2] = g[n2]! + w * (px + ux2);
          g[n2 + 1] = g[n2 + 1]! + w * (py + uy2);
          g[n2 + 2] = g[n2 + 2]! + w * pMass;
        }
      }
      // grid update: momentum to velocity, gravity, walls
      for (let j = jMin; j <= jMax; j++) {
        for (let i = iMin; i <= iMax; i++) {
          const node = i + j * side;
          const m = g[3 * node + 2]!;
          if (m <= 0) continue;
          let vx = g[3 * node]! / m;
          let vy = g[3 * node + 1]! / m - dt * gravity;
          if ((i < bound && vx < 0) || (i > grid - bound && vx > 0)) vx = 0;
          if ((j < bound && vy < 0) || (j > grid - bound && vy > 0)) vy = 0;
          g[3 * node] = vx;
          g[3 * node + 1] = vy;
        }
      }
      // the tool: no grid velocity into it
      if (boundary) {
        for (let b = 0; b < boundary.nodes.length; b++) {
          const node = boundary.nodes[b]!;
          if (g[3 * node + 2]! <= 0) continue;
          const nx = boundary.nx[b]!;
          const ny = boundary.ny[b]!;
          if (nx === 0 && ny === 0) {
            g[3 * node] = 0;
            g[3 * node + 1] = 0;
            continue;
          }
          const vn = g[3 * node]! * nx + g[3 * node + 1]! * ny;
          if (vn < 0) {
            g[3 * node] = g[3 * node]! - vn * nx;
            g[3 * node + 1] = g[3 * node + 1]! - vn * ny;
          }
        }
      }
      // grid to particle, advection
      for (let p = 0; p < n; p++) {
        const o = 8 * p;
        const fx = sw[o]!;
        const fy = sw[o + 4]!;
        const wy0 = sw[o + 5]!;
        const wy1 = sw[o + 6]!;
        const wy2 = sw[o + 7]!;
        const dpy0 = 0 - fy;
        const dpy1 = 1 - fy;
        const dpy2 = 2 - fy;
        const b = base[p]!;
        let vx = 0;
        let vy = 0;
        let c00 = 0;
        let c01 = 0;
        let c10 = 0;
        let c11 = 0;
        for (let i = 0; i < 3; i++) {
          const wx = sw[o + 1 + i]!;
          const dpx = i - fx;
          const n0 = 3 * (b + i);
          // the three nodes of column i, j = 0, 1, 2 in order (sums keep their order);
          // 4 w v (x_i - x_p)^T / dx^2, with the offsets already in cells
          let w: number;
          let gx: number;
          let gy: number;
          let k: number;
          w = wx * wy0;
          gx = g[n0]!;
          gy = g[n0 + 1]!;
          vx += w * gx;
          vy += w * gy;
          k = 4 * w * invDx;
          c00 += k * gx * dpx;
          c01 += k * gx * dpy0;
          c10 += k * gy * dpx;
          c11 += k * gy * dpy0;
          w = wx * wy1;
          gx = g[n0 + row3]!;
          gy = g[n0 + row3 + 1]!;
          vx += w * gx;
          vy += w * gy;
          k = 4 * w * invDx;
          c00 += k * gx * dpx;
          c01 += k * gx * dpy1;
          c10 += k * gy * dpx;
          c11 += k * gy * dpy1;
          w = wx * wy2;
          gx = g[n0 + 2 * row3]!;
          gy = g[n0 + 2 * row3 + 1]!;
          vx += w * gx;
          vy += w * gy;
          k = 4 * w * invDx;
          c00 += k * gx * dpx;
          c01 += k * gx * dpy2;
          c10 += k * gy * dpx;
          c11 += k * gy * dpy2;
        }
        const ox = x[2 * p]!;
        const oy = x[2 * p + 1]!;
        let nx = ox + dt * vx;
        let ny = oy + dt * vy;
        // never let a step cross the tool; keep a small gap on the side the particle was on. A
        // step wholly outside the box of every segment's box cannot touch one; a pass that
        // touched nothing would find the same in a second pass: both skips change no result
        if (seg && !((ox < toolBox[0]! && nx < toolBox[0]!) || (ox > toolBox[2]! && nx > toolBox[2]!) || (oy < toolBox[1]! && ny < toolBox[1]!) || (oy > toolBox[3]! && ny > toolBox[3]!))) {
          for (let pass = 0; pass < 2; pass++) {
            let touched = false;
            for (let sIdx = 0; sIdx < seg.count; sIdx++) {
              const o = sIdx * SEG_STRIDE;
              const d = seg.data;
              if ((ox < d[o + 7]! && nx < d[o + 7]!) || (ox > d[o + 9]! && nx > d[o + 9]!)) continue;
              if ((oy < d[o + 8]! && ny < d[o + 8]!) || (oy > d[o + 10]! && ny > d[o + 10]!)) continue;
              const ax = d[o]!;
              const ay = d[o + 1]!;
              const tx = d[o + 2]!;
              const ty = d[o + 3]!;
              const snx = d[o + 4]!;
              const sny = d[o + 5]!;
              const len = d[o + 6]!;
              const s0 = (ox - ax) * snx + (oy - ay) * sny;
              const s1 = (nx - ax) * snx + (ny - ay) * sny;
              const sideSign = s0 >= 0 ? 1 : -1;
              const along1 = (nx - ax) * tx + (ny - ay) * ty;
              let hit = false;
              if (s0 * s1 < 0 || (s0 !== 0 && s1 === 0)) {
                const along0 = (ox - ax) * tx + (oy - ay) * ty;
                const tc = s0 / (s0 - s1);
                const alongC = along0 + tc * (along1 - along0);
                hit = alongC >= -1e-9 && alongC <= len + 1e-9;
              } else if (s1 * sideSign < gap && along1 >= 0 && along1 <= len) {
                hit = true;
              }
              if (hit) {
                touched = true;
                const push = sideSign * gap - s1;
                nx += push * snx;
                ny += push * sny;
                const vn = vx * snx + vy * sny;
                if (vn * sideSign < 0) {
                  vx -= vn * snx;
                  vy -= vn * sny;
                }
              }
            }
            if (!touched) break;
          }
        }
        if (nx < lo) {
          nx = lo;
          if (vx < 0) vx = 0;
        } else if (nx > hi) {
          nx = hi;
          if (vx > 0) vx = 0;
        }
        if (ny < lo) {
          ny = lo;
          if (vy < 0) vy = 0;
        } else if (ny > hi) {
          ny = hi;
          if (vy > 0) vy = 0;
        }
        x[2 * p] = nx;
        x[2 * p + 1] = ny;
        v[2 * p] = vx;
        v[2 * p + 1] = vy;
        C[4 * p] = c00;
        C[4 * p + 1] = c01;
        C[4 * p + 2] = c10;
        C[4 * p + 3] = c11;
        J[p] = J[p]! * (1 + dt * (c00 + c11));
      }
      if (substepPositions) {
        const off = recorded * n * 2;
        for (let i = 0; i < n * 2; i++) substepPositions[off + i] = x[i]!;
        recorded++;
      }
    }
    const off = f * n * 2;
    for (let i = 0; i < n * 2; i++) positions[off + i] = x[i]!;
  }
  return substepPositions ? { positions, substepPositions } : { positions };
}

// ---- the WebAssembly kernel ------------------------------------------------------------------

/** The kernel's exports (the lib settings here have no WebAssembly types: the few we use). */
interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  simulate(...args: number[]): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
let kernel: Kernel | null | undefined;

/** The compiled kernel, instantiated once a thread; null where WebAssembly is missing. */
function wasmKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm) return (kernel = null);
    const instance = new wasm.Instance(new wasm.Module(Buffer.from(MPM_WASM_BASE64, 'base64')), {});
    kernel = instance.exports as unknown as Kernel;
  } catch {
    kernel = null;
  }
  return kernel;
}

/** Which kernel simulateMpm uses here: 'wasm', or 'typescript' where WebAssembly is missing. */
export function mpmKernel(): 'wasm' | 'typescript' {
  return wasmKernel() ? 'wasm' : 'typescript';
}

/** One MPM rollout: the WebAssembly kernel when there is one, else the TypeScript one. */
export function simulateMpm(config: MpmConfig, scene: MpmScene, opts: { recordSubsteps?: boolean } = {}): MpmResult {
  const k = wasmKernel();
  return k ? simulateMpmWasm(k, config, scene, opts) : simulateMpmTs(config, scene, opts);
}

export function simulateMpmWasm(k: Kernel, config: MpmConfig, scene: MpmScene, opts: { recordSubsteps?: boolean } = {}): MpmResult {
  const { grid, frames, substeps, bulkModulus: E, gravity } = config;
  const n = scene.water.length / 2;
  const dx = 1 / grid;
  const invDx = grid;
  const dt = config.frameDt / substeps;
  const pVol = (dx * 0.5) ** 2;
  const pMass = pVol;
  const side = grid + 1;
  const { seg, boundary, toolBox } = toolOf(scene, grid);
  const record = Boolean(opts.recordSubsteps);
  const nb = boundary?.nodes.length ?? 0;
  const segCount = seg?.count ?? 0;
  const outStates = record ? (frames - 1) * substeps : frames - 1;
  // linear memory, 8-byte aligned blocks
  let at = 64;
  const block = (bytes: number): number => {
    const start = at;
    at += Math.ceil(bytes / 8) * 8;
    return start;
  };
  const px = block(n * 2 * 8);
  const pv = block(n * 2 * 8);
  const pC = block(n * 4 * 8);
  const pJ = block(n * 8);
  const pBase = block(n * 4);
  const pSw = block(n * 8 * 8);
  const pG = block(side * side * 3 * 8);
  const pSeg = block(Math.max(1, segCount * SEG_STRIDE) * 8);
  const pBn = block(Math.max(1, nb) * 4);
  const pBnx = block(Math.max(1, nb) * 8);
  const pBny = block(Math.max(1, nb) * 8);
  const pOut = block(outStates * n * 2 * 4);
  const need = at - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  const buf = k.memory.buffer;
  const f64 = (p: number, len: number): Float64Array => new Float64Array(buf, p, len);
  const x = f64(px, n * 2);
  for (let i = 0; i < n * 2; i++) x[i] = scene.water[i]!;
  f64(pv, n * 2).fill(0);
  f64(pC, n * 4).fill(0);
  f64(pJ, n).fill(1);
  f64(pG, side * side * 3).fill(0);
  if (seg) f64(pSeg, segCount * SEG_STRIDE).set(seg.data);
  if (boundary) {
    new Int32Array(buf, pBn, nb).set(boundary.nodes);
    f64(pBnx, nb).set(boundary.nx);
    f64(pBny, nb).set(boundary.ny);
  }
  const lo = config.wallCells * dx;
  const hi = 1 - config.wallCells * dx;
  const stressScale = -dt * 4 * E * pVol * invDx * invDx;
  k.simulate(n, grid, frames, substeps, dt, gravity, pMass, stressScale, lo, hi, config.wallCells, TOOL_GAP_CELLS * dx, px, pv, pC, pJ, pBase, pSw, pG, segCount, pSeg, nb, pBn, pBnx, pBny, toolBox[0]!, toolBox[1]!, toolBox[2]!, toolBox[3]!, pOut, record ? 1 : 0);
  const out = new Float32Array(k.memory.buffer, pOut, outStates * n * 2);
  const first = Float32Array.from(scene.water);
  const positions = new Float32Array(frames * n * 2);
  positions.set(first, 0);
  if (!record) {
    positions.set(out, n * 2);
    return { positions };
  }
  const substepPositions = new Float32Array((outStates + 1) * n * 2);
  substepPositions.set(first, 0);
  substepPositions.set(out, n * 2);
  for (let f = 1; f < frames; f++) positions.set(out.subarray((f * substeps - 1) * n * 2, f * substeps * n * 2), f * n * 2);
  return { positions, substepPositions };
}

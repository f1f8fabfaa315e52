// AssemblyScript: the MPM substep loop of ../mpm.ts compiled to WebAssembly (npm run build:wasm
// writes ../mpm-wasm.generated.ts). Every operation is the TypeScript kernel's, in the same order,
// in float64, so the two give bit-identical positions (test/unit/mpm-wasm.test.ts); only the
// machine code differs. The caller lays out linear memory and passes byte offsets:
//   x, v [n*2] f64, C [n*4] f64, J [n] f64, base [n] i32, sw [n*8] f64, g [side*side*3] f64,
//   seg [segCount*11] f64, bnodes [nb] i32, bnx, bny [nb] f64, out [(frames-1)*n*2] f32 (frames
//   1..) or, with recordSubsteps, [(frames-1)*substeps*n*2] f32 (every substep).

@inline function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

export function simulate(
  n: i32,
  grid: i32,
  frames: i32,
  substeps: i32,
  dt: f64,
  gravity: f64,
  pMass: f64,
  stressScale: f64,
  lo: f64,
  hi: f64,
  bound: i32,
  gap: f64,
  x: usize,
  v: usize,
  C: usize,
  J: usize,
  base: usize,
  sw: usize,
  g: usize,
  segCount: i32,
  seg: usize,
  nb: i32,
  bnodes: usize,
  bnx: usize,
  bny: usize,
  toolX0: f64,
  toolY0: f64,
  toolX1: f64,
  toolY1: f64,
  out: usize,
  recordSubsteps: i32,
): void {
  const dx: f64 = 1.0 / <f64>grid;
  const invDx: f64 = <f64>grid;
  const side: i32 = grid + 1;
  const row3: i32 = 3 * side;
  let recorded: i32 = 0;
  for (let f: i32 = 1; f < frames; f++) {
    for (let s: i32 = 0; s < substeps; s++) {
      let iMin: i32 = side;
      let iMax: i32 = 0;
      let jMin: i32 = side;
      let jMax: i32 = 0;
      for (let p: i32 = 0; p < n; p++) {
        const xp: f64 = ld(x, 2 * p) * invDx;
        const yp: f64 = ld(x, 2 * p + 1) * invDx;
        const bif: f64 = Math.floor(xp - 0.5);
        const bjf: f64 = Math.floor(yp - 0.5);
        const fx: f64 = xp - bif;
        const fy: f64 = yp - bjf;
        const bi: i32 = <i32>bif;
        const bj: i32 = <i32>bjf;
        const o: i32 = 8 * p;
        const ax: f64 = 1.5 - fx;
        const bx: f64 = fx - 1;
        const cx: f64 = fx - 0.5;
        const ay: f64 = 1.5 - fy;
        const by: f64 = fy - 1;
        const cy: f64 = fy - 0.5;
        st(sw, o, fx);
        st(sw, o + 1, 0.5 * (ax * ax));
        st(sw, o + 2, 0.75 - bx * bx);
        st(sw, o + 3, 0.5 * (cx * cx));
        st(sw, o + 4, fy);
        st(sw, o + 5, 0.5 * (ay * ay));
        st(sw, o + 6, 0.75 - by * by);
        st(sw, o + 7, 0.5 * (cy * cy));
        store<i32>(base + (<usize>p << 2), bi + bj * side);
        if (bi < iMin) iMin = bi;
        if (bi + 2 > iMax) iMax = bi + 2;
        if (bj < jMin) jMin = bj;
        if (bj + 2 > jMax) jMax = bj + 2;
      }
      for (let j: i32 = jMin; j <= jMax; j++) {
        const row: i32 = j * side;
        memory.fill(g + (<usize>(3 * (row + iMin)) << 3), 0, <usize>(3 * (iMax - iMin + 1)) << 3);
      }
      // particle to grid
      for (let p: i32 = 0; p < n; p++) {
        const o: i32 = 8 * p;
        const fx: f64 = ld(sw, o);
        const fy: f64 = ld(sw, o + 4);
        const wy0: f64 = ld(sw, o + 5);
        const wy1: f64 = ld(sw, o + 6);
        const wy2: f64 = ld(sw, o + 7);
        const stress: f64 = stressScale * (ld(J, p) - 1);
        const a00: f64 = stress + pMass * ld(C, 4 * p);
        const a01: f64 = pMass * ld(C, 4 * p + 1);
        const a10: f64 = pMass * ld(C, 4 * p + 2);
        const a11: f64 = stress + pMass * ld(C, 4 * p + 3);
        const mvx: f64 = pMass * ld(v, 2 * p);
        const mvy: f64 = pMass * ld(v, 2 * p + 1);
        const dpy0: f64 = (0 - fy) * dx;
        const dpy1: f64 = (1 - fy) * dx;
        const dpy2: f64 = (2 - fy) * dx;
        const ux0: f64 = a01 * dpy0;
        const ux1: f64 = a01 * dpy1;
        const ux2: f64 = a01 * dpy2;
        const uy0: f64 = a11 * dpy0;
        const uy1: f64 = a11 * dpy1;
        const uy2: f64 = a11 * dpy2;
        const b: i32 = load<i32>(base + (<usize>p << 2));
        for (let i: i32 = 0; i < 3; i++) {
          const wx: f64 = ld(sw, o + 1 + i);
          const dpx: f64 = (<f64>i - fx) * dx;
          const px: f64 = mvx + a00 * dpx;
          const py: f64 = mvy + a10 * dpx;
          const n0: i32 = 3 * (b + i);
          const n1: i32 = n0 + row3;
          const n2: i32 = n1 + row3;
          let w: f64 = wx * wy0;
          st(g, n0, ld(g, n0) + w * (px + ux0));
          st(g, n0 + 1, ld(g, n0 + 1) + w * (py + uy0));
          st(g, n0 + 2, ld(g, n0 + 2) + w * pMass);
          w = wx * wy1;
          st(g, n1, ld(g, n1) + w * (px + ux1));
          st(g, n1 + 1, ld(g, n1 + 1) + w * (py + uy1));
          st(g, n1 + 2, ld(g, n1 + 2) + w * pMass);
          w = wx * wy2;
          st(g, n2, ld(g, n2) + w * (px + ux2));
          st(g, n2 + 1, ld(g, n2 + 1) + w * (py + uy2));
          st(g, n2 + 2, ld(g, n2 + 2) + w * pMass);
        }
      }
      // grid update: momentum to velocity, gravity, walls
      for (let j: i32 = jMin; j <= jMax; j++) {
        for (let i: i32 = iMin; i <= iMax; i++) {
          const node: i32 = 3 * (i + j * side);
          const m: f64 = ld(g, node + 2);
          if (m <= 0) continue;
          let vx: f64 = ld(g, node) / m;
          let vy: f64 = ld(g, node + 1) / m - dt * gravity;
          if ((i < bound && vx < 0) || (i > grid - bound && vx > 0)) vx = 0;
          if ((j < bound && vy < 0) || (j > grid - bound && vy > 0)) vy = 0;
          st(g, node, vx);
          st(g, node + 1, vy);
        }
      }
      // the tool: no grid velocity into it
      for (let k: i32 = 0; k < nb; k++) {
        const node: i32 = 3 * load<i32>(bnodes + (<usize>k << 2));
        if (ld(g, node + 2) <= 0) continue;
        const nx: f64 = ld(bnx, k);
        const ny: f64 = ld(bny, k);
        if (nx == 0 && ny == 0) {
          st(g, node, 0);
          st(g, node + 1, 0);
          continue;
        }
        const vn: f64 = ld(g, node) * nx + ld(g, node + 1) * ny;
        if (vn < 0) {
          st(g, node, ld(g, node) - vn * nx);
          st(g, node + 1, ld(g, node + 1) - vn * ny);
        }
      }
      // grid to particle, advection
      for (let p: i32 = 0; p < n; p++) {
        const o: i32 = 8 * p;
        const fx: f64 = ld(sw, o);
        const fy: f64 = ld(sw, o + 4);
        const wy0: f64 = ld(sw, o + 5);
        const wy1: f64 = ld(sw, o + 6);
        const wy2: f64 = ld(sw, o + 7);
        const dpy0: f64 = 0 - fy;
        const dpy1: f64 = 1 - fy;
        const dpy2: f64 = 2 - fy;
        const b: i32 = load<i32>(base + (<usize>p << 2));
        let vx: f64 = 0;
        let vy: f64 = 0;
        let c00: f64 = 0;
        let c01: f64 = 0;
        let c10: f64 = 0;
        let c11: f64 = 0;
        for (let i: i32 = 0; i < 3; i++) {
          const wx: f64 = ld(sw, o + 1 + i);
          const dpx: f64 = <f64>i - fx;
          const n0: i32 = 3 * (b + i);
          let w: f64 = wx * wy0;
          let gx: f64 = ld(g, n0);
          let gy: f64 = ld(g, n0 + 1);
          vx += w * gx;
          vy += w * gy;
          let k: f64 = 4 * w * invDx;
          c00 += k * gx * dpx;
          c01 += k * gx * dpy0;
          c10 += k * gy * dpx;
          c11 += k * gy * dpy0;
          w = wx * wy1;
          gx = ld(g, n0 + row3);
          gy = ld(g, n0 + row3 + 1);
          vx += w * gx;
          vy += w * gy;
          k = 4 * w * invDx;
          c00 += k * gx * dpx;
          c01 += k * gx * dpy1;
          c10 += k * gy * dpx;
          c11 += k * gy * dpy1;
          w = wx * wy2;
          gx = ld(g, n0 + 2 * row3);
          gy = ld(g, n0 + 2 * row3 + 1);
          vx += w * gx;
          vy += w * gy;
          k = 4 * w * invDx;
          c00 += k * gx * dpx;
          c01 += k * gx * dpy2;
          c10 += k * gy * dpx;
          c11 += k * gy * dpy2;
        }
        const ox: f64 = ld(x, 2 * p);
        const oy: f64 = ld(x, 2 * p + 1);
        let nx: f64 = ox + dt * vx;
        let ny: f64 = oy + dt * vy;
        if (segCount > 0 && !((ox < toolX0 && nx < toolX0) || (ox > toolX1 && nx > toolX1) || (oy < toolY0 && ny < toolY0) || (oy > toolY1 && ny > toolY1))) {
          for (let pass: i32 = 0; pass < 2; pass++) {
            let touched = false;
            for (let sIdx: i32 = 0; sIdx < segCount; sIdx++) {
              const so: i32 = sIdx * 11;
              if ((ox < ld(seg, so + 7) && nx < ld(seg, so + 7)) || (ox > ld(seg, so + 9) && nx > ld(seg, so + 9))) continue;
              if ((oy < ld(seg, so + 8) && ny < ld(seg, so + 8)) || (oy > ld(seg, so + 10) && ny > ld(seg, so + 10))) continue;
              const sax: f64 = ld(seg, so);
              const say: f64 = ld(seg, so + 1);
              const tx: f64 = ld(seg, so + 2);
              const ty: f64 = ld(seg, so + 3);
              const snx: f64 = ld(seg, so + 4);
              const sny: f64 = ld(seg, so + 5);
              const len: f64 = ld(seg, so + 6);
              const s0: f64 = (ox - sax) * snx + (oy - say) * sny;
              const s1: f64 = (nx - sax) * snx + (ny - say) * sny;
              const sideSign: f64 = s0 >= 0 ? 1 : -1;
              const along1: f64 = (nx - sax) * tx + (ny - say) * ty;
              let hit = false;
              if (s0 * s1 < 0 || (s0 != 0 && s1 == 0)) {
                const along0: f64 = (ox - sax) * tx + (oy - say) * ty;
                const tc: f64 = s0 / (s0 - s1);
                const alongC: f64 = along0 + tc * (along1 - along0);
                hit = alongC >= -1e-9 && alongC <= len + 1e-9;
              } else if (s1 * sideSign < gap && along1 >= 0 && along1 <= len) {
                hit = true;
              }
              if (hit) {
                touched = true;
                const push: f64 = sideSign * gap - s1;
                nx += push * snx;
                ny += push * sny;
                const vn: f64 = vx * snx + vy * sny;
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
        st(x, 2 * p, nx);
        st(x, 2 * p + 1, ny);
        st(v, 2 * p, vx);
        st(v, 2 * p + 1, vy);
        st(C, 4 * p, c00);
        st(C, 4 * p + 1, c01);
        st(C, 4 * p + 2, c10);
        st(C, 4 * p + 3, c11);
        st(J, p, ld(J, p) * (1 + dt * (c00 + c11)));
      }
      if (recordSubsteps) {
        const off: usize = out + (<usize>(recorded * n * 2) << 2);
        for (let i: i32 = 0; i < n * 2; i++) store<f32>(off + (<usize>i << 2), <f32>ld(x, i));
        recorded++;
      }
    }
    if (!recordSubsteps) {
      const off: usize = out + (<usize>((f - 1) * n * 2) << 2);
      for (let i: i32 = 0; i < n * 2; i++) store<f32>(off + (<usize>i << 2), <f32>ld(x, i));
    }
  }
}

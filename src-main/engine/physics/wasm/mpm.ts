// AssemblyScript: the MPM substep loop of ../mpm.ts compiled to WebAssembly with SIMD (npm run
// build:wasm writes ../mpm-wasm.generated.ts). Every operation is the TypeScript kernel's, in the
// same order, in float64, so the two give bit-identical positions (test/unit/mpm-wasm.test.ts);
// only the machine code differs. SIMD pairs the x and y axes of one particle (or grid node) in the
// two lanes of an f64x2: each lane does exactly the scalar kernel's multiply and add (WebAssembly
// SIMD has no fused multiply-add, and no sum crosses lanes), so pairing changes no result.
// The caller lays out linear memory and passes byte offsets:
//   x, v [n*2] f64, C [n*4] f64 (by columns: c00, c10, c01, c11), J [n] f64, base [n] i32,
//   sw [n*8] f64 (fx, fy, then the x and y weights of the three stencil rows in pairs),
//   g [side*side*3] f64,
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
  const vInvDx: v128 = f64x2.splat(invDx);
  const vHalf: v128 = f64x2.splat(0.5);
  const vOne: v128 = f64x2.splat(1);
  const vOneHalf: v128 = f64x2.splat(1.5);
  const vThreeQuarters: v128 = f64x2.splat(0.75);
  const vMass: v128 = f64x2.splat(pMass);
  // x - 0 is x for every x (-0 included), so lane 0 is the scalar kernel's gx / m
  const vGravity: v128 = f64x2(0, dt * gravity);
  let recorded: i32 = 0;
  for (let f: i32 = 1; f < frames; f++) {
    for (let s: i32 = 0; s < substeps; s++) {
      let iMin: i32 = side;
      let iMax: i32 = 0;
      let jMin: i32 = side;
      let jMax: i32 = 0;
      for (let p: i32 = 0; p < n; p++) {
        // both axes at once: lane 0 is x, lane 1 is y (each lane the scalar kernel's operations)
        const xy: v128 = f64x2.mul(v128.load(x + (<usize>p << 4)), vInvDx);
        const bf: v128 = f64x2.floor(f64x2.sub(xy, vHalf));
        const fxy: v128 = f64x2.sub(xy, bf);
        const bi: i32 = <i32>f64x2.extract_lane(bf, 0);
        const bj: i32 = <i32>f64x2.extract_lane(bf, 1);
        const a: v128 = f64x2.sub(vOneHalf, fxy);
        const b: v128 = f64x2.sub(fxy, vOne);
        const c: v128 = f64x2.sub(fxy, vHalf);
        const o: usize = sw + (<usize>p << 6);
        v128.store(o, fxy);
        v128.store(o, f64x2.mul(vHalf, f64x2.mul(a, a)), 16);
        v128.store(o, f64x2.sub(vThreeQuarters, f64x2.mul(b, b)), 32);
        v128.store(o, f64x2.mul(vHalf, f64x2.mul(c, c)), 48);
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
      // particle to grid: (x, y) momentum pairs in the two lanes, mass apart
      for (let p: i32 = 0; p < n; p++) {
        const o: usize = sw + (<usize>p << 6);
        const fx: f64 = load<f64>(o);
        const fy: f64 = load<f64>(o, 8);
        const wy0: f64 = load<f64>(o, 24);
        const wy1: f64 = load<f64>(o, 40);
        const wy2: f64 = load<f64>(o, 56);
        const stress: f64 = stressScale * (ld(J, p) - 1);
        // C is kept by columns: (c00, c10), (c01, c11)
        const cp: usize = C + (<usize>p << 5);
        let col0: v128 = f64x2.mul(vMass, v128.load(cp));
        col0 = f64x2.replace_lane(col0, 0, stress + f64x2.extract_lane(col0, 0));
        let col1: v128 = f64x2.mul(vMass, v128.load(cp, 16));
        col1 = f64x2.replace_lane(col1, 1, stress + f64x2.extract_lane(col1, 1));
        const mv: v128 = f64x2.mul(vMass, v128.load(v + (<usize>p << 4)));
        const u0: v128 = f64x2.mul(col1, f64x2.splat((0 - fy) * dx));
        const u1: v128 = f64x2.mul(col1, f64x2.splat((1 - fy) * dx));
        const u2: v128 = f64x2.mul(col1, f64x2.splat((2 - fy) * dx));
        const bnode: i32 = load<i32>(base + (<usize>p << 2));
        for (let i: i32 = 0; i < 3; i++) {
          const wx: f64 = load<f64>(o + (<usize>(1 + i) << 4));
          const pxy: v128 = f64x2.add(mv, f64x2.mul(col0, f64x2.splat((<f64>i - fx) * dx)));
          const n0: usize = g + (<usize>(3 * (bnode + i)) << 3);
          const n1: usize = n0 + (<usize>row3 << 3);
          const n2: usize = n1 + (<usize>row3 << 3);
          let w: f64 = wx * wy0;
          v128.store(n0, f64x2.add(v128.load(n0), f64x2.mul(f64x2.splat(w), f64x2.add(pxy, u0))));
          store<f64>(n0, load<f64>(n0, 16) + w * pMass, 16);
          w = wx * wy1;
          v128.store(n1, f64x2.add(v128.load(n1), f64x2.mul(f64x2.splat(w), f64x2.add(pxy, u1))));
          store<f64>(n1, load<f64>(n1, 16) + w * pMass, 16);
          w = wx * wy2;
          v128.store(n2, f64x2.add(v128.load(n2), f64x2.mul(f64x2.splat(w), f64x2.add(pxy, u2))));
          store<f64>(n2, load<f64>(n2, 16) + w * pMass, 16);
        }
      }
      // grid update: momentum to velocity, gravity, walls
      for (let j: i32 = jMin; j <= jMax; j++) {
        for (let i: i32 = iMin; i <= iMax; i++) {
          const node: i32 = 3 * (i + j * side);
          const m: f64 = ld(g, node + 2);
          if (m <= 0) continue;
          const vel: v128 = f64x2.sub(f64x2.div(v128.load(g + (<usize>node << 3)), f64x2.splat(m)), vGravity);
          let vx: f64 = f64x2.extract_lane(vel, 0);
          let vy: f64 = f64x2.extract_lane(vel, 1);
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
      // grid to particle, advection: (vx, vy), (c00, c10) and (c01, c11) accumulate in lane pairs
      for (let p: i32 = 0; p < n; p++) {
        const o: usize = sw + (<usize>p << 6);
        const fx: f64 = load<f64>(o);
        const fy: f64 = load<f64>(o, 8);
        const wy0: f64 = load<f64>(o, 24);
        const wy1: f64 = load<f64>(o, 40);
        const wy2: f64 = load<f64>(o, 56);
        const dpy0: v128 = f64x2.splat(0 - fy);
        const dpy1: v128 = f64x2.splat(1 - fy);
        const dpy2: v128 = f64x2.splat(2 - fy);
        const bnode: i32 = load<i32>(base + (<usize>p << 2));
        let vxy: v128 = f64x2.splat(0);
        let cA: v128 = f64x2.splat(0);
        let cB: v128 = f64x2.splat(0);
        for (let i: i32 = 0; i < 3; i++) {
          const wx: f64 = load<f64>(o + (<usize>(1 + i) << 4));
          const dpx: v128 = f64x2.splat(<f64>i - fx);
          const n0: usize = g + (<usize>(3 * (bnode + i)) << 3);
          let w: f64 = wx * wy0;
          let gxy: v128 = v128.load(n0);
          vxy = f64x2.add(vxy, f64x2.mul(f64x2.splat(w), gxy));
          let kg: v128 = f64x2.mul(f64x2.splat(4 * w * invDx), gxy);
          cA = f64x2.add(cA, f64x2.mul(kg, dpx));
          cB = f64x2.add(cB, f64x2.mul(kg, dpy0));
          w = wx * wy1;
          gxy = v128.load(n0 + (<usize>row3 << 3));
          vxy = f64x2.add(vxy, f64x2.mul(f64x2.splat(w), gxy));
          kg = f64x2.mul(f64x2.splat(4 * w * invDx), gxy);
          cA = f64x2.add(cA, f64x2.mul(kg, dpx));
          cB = f64x2.add(cB, f64x2.mul(kg, dpy1));
          w = wx * wy2;
          gxy = v128.load(n0 + (<usize>(2 * row3) << 3));
          vxy = f64x2.add(vxy, f64x2.mul(f64x2.splat(w), gxy));
          kg = f64x2.mul(f64x2.splat(4 * w * invDx), gxy);
          cA = f64x2.add(cA, f64x2.mul(kg, dpx));
          cB = f64x2.add(cB, f64x2.mul(kg, dpy2));
        }
        let vx: f64 = f64x2.extract_lane(vxy, 0);
        let vy: f64 = f64x2.extract_lane(vxy, 1);
        const c00: f64 = f64x2.extract_lane(cA, 0);
        const c11: f64 = f64x2.extract_lane(cB, 1);
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
        v128.store(C + (<usize>p << 5), cA);
        v128.store(C + (<usize>p << 5), cB, 16);
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

import { simulateMpm } from '../src-main/engine/physics/mpm';
import { BULK_MODULUS, FRAME_DT, GRAVITY, WALL_CELLS, initialWaterPositions, toolPolyline, costAndCapture } from '../src-shared/fluidtool2d';
const cfg = { grid: 64, frames: 50, substeps: 40, frameDt: FRAME_DT, gravity: GRAVITY, bulkModulus: BULK_MODULUS, wallCells: WALL_CELLS };
const water = initialWaterPositions(256, 64);
for (const design of [new Array(8).fill(0), new Array(8).fill(0.5), new Array(8).fill(-0.7)]) {
  const tool = toolPolyline(design, Math.PI / 8);
  const times: number[] = [];
  let r;
  for (let k = 0; k < 5; k++) { const t0 = performance.now(); r = simulateMpm(cfg, { water, tool }); times.push(performance.now() - t0); }
  const last = r!.positions.subarray(49 * 512);
  let mx = 0, my = 0, nan = 0; for (let p = 0; p < 256; p++) { mx += last[2*p]!; my += last[2*p+1]!; if (!Number.isFinite(last[2*p]!)) nan++; }
  console.log(design[0], times.map(t => t.toFixed(0)).join(' '), 'ms; mean final', (mx/256).toFixed(3), (my/256).toFixed(3), 'nan', nan, costAndCapture(last, [0.5, 0.1], 0.1));
  for (const f of [0, 10, 20, 30, 40, 49]) { const fr = r!.positions.subarray(f*512, (f+1)*512); let a=0,b=0; for (let p=0;p<256;p++){a+=fr[2*p]!;b+=fr[2*p+1]!;} process.stdout.write(` f${f}:(${(a/256).toFixed(2)},${(b/256).toFixed(2)})`); }
  console.log();
}

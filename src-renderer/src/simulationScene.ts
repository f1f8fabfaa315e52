import { PARTICLE_TYPE, TOOL_ANCHOR, WALL_CELLS, particleSpacing } from '@shared/fluidtool2d';
import type { TaskRange } from '@shared/environments';

// Draws one FluidTool-2D frame on a 2D canvas: pure drawing, no state. The unit box [0, 1]² with
// y up fills the square canvas; everything is drawn in device pixels for a sharp picture.

export interface SceneLayout {
  grid: number;
  taskRange: TaskRange;
  targetRadius: number;
}

export interface SceneContent {
  /** [(K + 1) * 2] tool polyline from toolPolyline */
  tool: Float64Array;
  /** target centre, or null to draw none */
  target: readonly [number, number] | null;
  /** [N * 2] particle positions of the frame shown */
  positions: Float32Array;
  /** [N] particle types */
  types: Uint8Array;
}

export const SCENE_COLORS = {
  background: '#fbfcfd',
  wall: '#e1e5ea',
  wallEdge: '#b9c0ca',
  taskRange: 'rgba(36, 88, 179, 0.06)',
  taskRangeEdge: 'rgba(36, 88, 179, 0.35)',
  target: 'rgba(30, 122, 69, 0.16)',
  targetEdge: '#1e7a45',
  water: '#2f7fd8',
  tool: '#8a94a3',
  toolParticle: '#1f2530',
} as const;

/** Unit-box coordinates → device pixels on a square canvas of `size` pixels. */
export function toPixels(size: number, x: number, y: number): [number, number] {
  return [x * size, (1 - y) * size];
}

/** Device or CSS pixels on a square canvas of `size` → unit-box coordinates. */
export function fromPixels(size: number, px: number, py: number): [number, number] {
  return [px / size, 1 - py / size];
}

export function insideTaskRange(range: TaskRange, x: number, y: number): boolean {
  return x >= range.xMin && x <= range.xMax && y >= range.yMin && y <= range.yMax;
}

export function drawScene(ctx: CanvasRenderingContext2D, size: number, layout: SceneLayout, scene: SceneContent): void {
  const s = size;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = SCENE_COLORS.background;
  ctx.fillRect(0, 0, s, s);

  drawTaskRange(ctx, s, layout.taskRange);
  if (scene.target) drawTarget(ctx, s, scene.target, layout.targetRadius);
  drawWalls(ctx, s, layout.grid);
  drawTool(ctx, s, scene.tool, layout.grid);

  const spacingPx = particleSpacing(layout.grid) * s;
  drawParticles(ctx, s, scene, PARTICLE_TYPE.tool, SCENE_COLORS.toolParticle, Math.max(0.9, spacingPx * 0.3));
  drawParticles(ctx, s, scene, PARTICLE_TYPE.water, SCENE_COLORS.water, Math.max(1.2, spacingPx * 0.5));
}

function drawWalls(ctx: CanvasRenderingContext2D, s: number, grid: number): void {
  const w = (WALL_CELLS / grid) * s;
  ctx.fillStyle = SCENE_COLORS.wall;
  ctx.fillRect(0, 0, s, w);
  ctx.fillRect(0, s - w, s, w);
  ctx.fillRect(0, 0, w, s);
  ctx.fillRect(s - w, 0, w, s);
  ctx.strokeStyle = SCENE_COLORS.wallEdge;
  ctx.lineWidth = 1;
  ctx.strokeRect(w + 0.5, w + 0.5, s - 2 * w - 1, s - 2 * w - 1);
}

function drawTaskRange(ctx: CanvasRenderingContext2D, s: number, r: TaskRange): void {
  const [x0, y0] = toPixels(s, r.xMin, r.yMax);
  const [x1, y1] = toPixels(s, r.xMax, r.yMin);
  ctx.fillStyle = SCENE_COLORS.taskRange;
  ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
  ctx.strokeStyle = SCENE_COLORS.taskRangeEdge;
  ctx.lineWidth = Math.max(1, s / 600);
  ctx.setLineDash([6, 4]);
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  ctx.setLineDash([]);
}

function drawTarget(ctx: CanvasRenderingContext2D, s: number, target: readonly [number, number], radius: number): void {
  const [cx, cy] = toPixels(s, target[0], target[1]);
  const r = radius * s;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.fillStyle = SCENE_COLORS.target;
  ctx.fill();
  ctx.strokeStyle = SCENE_COLORS.targetEdge;
  ctx.lineWidth = Math.max(1, s / 400);
  ctx.stroke();
  const arm = Math.max(4, r * 0.18);
  ctx.beginPath();
  ctx.moveTo(cx - arm, cy);
  ctx.lineTo(cx + arm, cy);
  ctx.moveTo(cx, cy - arm);
  ctx.lineTo(cx, cy + arm);
  ctx.stroke();
}

function drawTool(ctx: CanvasRenderingContext2D, s: number, tool: Float64Array, grid: number): void {
  ctx.beginPath();
  for (let i = 0; i < tool.length / 2; i++) {
    const [x, y] = toPixels(s, tool[2 * i]!, tool[2 * i + 1]!);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.strokeStyle = SCENE_COLORS.tool;
  ctx.lineWidth = Math.max(2, particleSpacing(grid) * s * 0.9);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.stroke();
  const [ax, ay] = toPixels(s, TOOL_ANCHOR[0], TOOL_ANCHOR[1]);
  ctx.beginPath();
  ctx.arc(ax, ay, Math.max(3, s / 120), 0, Math.PI * 2);
  ctx.fillStyle = SCENE_COLORS.toolParticle;
  ctx.fill();
}

/** One path for all particles of a type: a single fill call however many there are. */
function drawParticles(
  ctx: CanvasRenderingContext2D,
  s: number,
  scene: SceneContent,
  type: number,
  color: string,
  radius: number,
): void {
  const { positions, types } = scene;
  ctx.beginPath();
  for (let p = 0; p < types.length; p++) {
    if (types[p] !== type) continue;
    const x = positions[2 * p]! * s;
    const y = (1 - positions[2 * p + 1]!) * s;
    ctx.moveTo(x + radius, y);
    ctx.arc(x, y, radius, 0, Math.PI * 2);
  }
  ctx.fillStyle = color;
  ctx.fill();
}

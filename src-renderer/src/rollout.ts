import type { RolloutData } from '@shared/api';
import {
  PARTICLE_TYPE,
  initialWaterPositions,
  toolParticles,
  toolPolyline,
} from '@shared/fluidtool2d';
import type { FluidTool2DSettings } from '@shared/environments';
import { base64ToBytes } from './base64';

/** A rollout ready to draw: positions decoded once, never per frame. */
export interface DecodedRollout {
  frames: number;
  particles: number;
  /** [N] GNS particle types: 5 water, 3 tool */
  types: Uint8Array;
  /** [frames * N * 2] positions in the unit box, y up */
  positions: Float32Array;
  /** simulated seconds between frames */
  frameDt: number;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Decodes base64 little-endian float32 [frames, particles, 2]; throws if the sizes disagree. */
export function decodeRollout(data: RolloutData): DecodedRollout {
  const bytes = base64ToBytes(data.positions);
  const count = data.frames * data.particles * 2;
  if (bytes.byteLength !== count * 4) {
    throw new Error(
      `The rollout holds ${bytes.byteLength} bytes, not the ${count * 4} of ${data.frames} frames × ${data.particles} particles × 2 float32.`,
    );
  }
  if (data.particleTypes.length !== data.particles) {
    throw new Error(`The rollout lists ${data.particleTypes.length} particle types for ${data.particles} particles.`);
  }
  let positions: Float32Array;
  if (littleEndian) {
    positions = new Float32Array(bytes.buffer, bytes.byteOffset, count);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    positions = new Float32Array(count);
    for (let i = 0; i < count; i++) positions[i] = view.getFloat32(4 * i, true);
  }
  return {
    frames: data.frames,
    particles: data.particles,
    types: Uint8Array.from(data.particleTypes),
    positions,
    frameDt: data.frameDt,
  };
}

/** The scene before any run: the water block at rest above the tool a design shapes (one frame). */
export function previewRollout(design: readonly number[], settings: FluidTool2DSettings, frameDt: number): DecodedRollout {
  const water = initialWaterPositions(settings.particles, settings.grid);
  const tool = toolParticles(toolPolyline(design, settings.thetaMax), settings.grid);
  const n = water.length / 2 + tool.length / 2;
  const positions = new Float32Array(n * 2);
  positions.set(water, 0);
  positions.set(tool, water.length);
  const types = new Uint8Array(n).fill(PARTICLE_TYPE.water);
  types.fill(PARTICLE_TYPE.tool, water.length / 2);
  return { frames: 1, particles: n, types, positions, frameDt };
}

/**
 * Positions at a fractional frame, linearly between the two frames around it, written into `out`
 * ([N * 2]) so playback allocates nothing per frame.
 */
export function positionsAt(rollout: DecodedRollout, position: number, out: Float32Array): Float32Array {
  const last = rollout.frames - 1;
  const p = Math.min(last, Math.max(0, position));
  const a = Math.floor(p);
  const b = Math.min(last, a + 1);
  const t = p - a;
  const stride = rollout.particles * 2;
  const src = rollout.positions;
  const offA = a * stride;
  if (t === 0 || a === b) {
    out.set(src.subarray(offA, offA + stride));
    return out;
  }
  const offB = b * stride;
  for (let i = 0; i < stride; i++) {
    const va = src[offA + i]!;
    out[i] = va + (src[offB + i]! - va) * t;
  }
  return out;
}

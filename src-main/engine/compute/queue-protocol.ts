import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { EnvironmentId, FluidTool2DSettings } from '../../../src-shared/environments';
import type { RolloutArgs, RolloutOutcome } from './rollout';

// What the owning process (compute/queue.ts) and a queue worker (compute/queue-worker.ts, `idw
// worker`) agree on: the queue's name, a batch job's data and result, and the settings hash that
// makes a worker refuse a batch of an environment it does not simulate the same way.

/** the BullMQ queue of ground-truth rollout batches */
export const GROUND_TRUTH_QUEUE = 'idw-ground-truth';

/** the hash where each worker adds the designs it ran (read by readQueueStatus: idw doctor, the About page) */
export const WORKER_DESIGNS_KEY = `idw:${GROUND_TRUTH_QUEUE}:designs`;

/**
 * The version of each environment's simulation: bump it when a change to the physics, the cost
 * or the outcome changes what a rollout returns for the same design, task and settings. A worker
 * with another version computes other numbers, so it refuses the batch (settingsHash).
 */
export const ENVIRONMENT_VERSIONS: Record<EnvironmentId, string> = {
  'fluidtool-2d': 'fluidtool-2d/mpm-1',
};

/** JSON with object keys sorted, so equal settings always hash alike */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 of the environment, its simulation version and its settings: what a batch is computed under */
export function settingsHash(environment: EnvironmentId, settings: FluidTool2DSettings, version: string = ENVIRONMENT_VERSIONS[environment]): string {
  return createHash('sha256').update(canonical({ environment, version, settings })).digest('hex');
}

/** One batch: designs with their tasks, all under one environment and settings. */
export interface BatchJobData {
  batchId: string;
  environment: EnvironmentId;
  settings: FluidTool2DSettings;
  /** settingsHash(environment, settings) as the owner computed it */
  settingsHash: string;
  /** the owner's environment version, for the worker's refusal message */
  environmentVersion: string;
  keepRollout: boolean;
  stepsPerFrame?: number;
  /** base64 of little-endian float32, one per design */
  designs: string[];
  tasks: string[];
}

export interface EncodedOutcome {
  cost: number;
  capture: number;
  wallMs: number;
  outcome: string;
  rollout: { frames: number; particles: number; frameDt: number; positions: string; particleTypes: string } | null;
}

export interface BatchJobResult {
  /** host:pid of the worker that ran it */
  worker: string;
  outcomes: EncodedOutcome[];
}

export function encodeFloats(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeFloats(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  if (b.byteLength % 4 !== 0) throw new Error(`a float32 array of ${b.byteLength} bytes is not a whole number of floats`);
  // copy: the Buffer may sit at an offset that is not a multiple of 4 in its pool
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function encodeOutcome(o: RolloutOutcome): EncodedOutcome {
  return {
    cost: o.cost,
    capture: o.capture,
    wallMs: o.wallMs,
    outcome: encodeFloats(o.outcome),
    rollout: o.rollout
      ? {
          frames: o.rollout.frames,
          particles: o.rollout.particles,
          frameDt: o.rollout.frameDt,
          positions: encodeFloats(o.rollout.positions),
          particleTypes: Buffer.from(o.rollout.particleTypes).toString('base64'),
        }
      : null,
  };
}

export function decodeOutcome(e: EncodedOutcome): RolloutOutcome {
  return {
    cost: e.cost,
    capture: e.capture,
    wallMs: e.wallMs,
    outcome: decodeFloats(e.outcome),
    rollout: e.rollout
      ? {
          frames: e.rollout.frames,
          particles: e.rollout.particles,
          frameDt: e.rollout.frameDt,
          positions: decodeFloats(e.rollout.positions),
          particleTypes: new Uint8Array(Buffer.from(e.rollout.particleTypes, 'base64')),
        }
      : null,
  };
}

/** the batch job for a slice of rollout arguments (all of one project: one environment and settings) */
export function batchJobData(batchId: string, args: readonly RolloutArgs[]): BatchJobData {
  const first = args[0]!;
  return {
    batchId,
    environment: first.environment,
    settings: first.settings,
    settingsHash: settingsHash(first.environment, first.settings),
    environmentVersion: ENVIRONMENT_VERSIONS[first.environment],
    keepRollout: first.keepRollout,
    stepsPerFrame: first.stepsPerFrame,
    designs: args.map((a) => encodeFloats(a.design)),
    tasks: args.map((a) => encodeFloats(a.task)),
  };
}

/** A Redis URL checked before use: redis:// or rediss:// (TLS), with a host. */
export function checkRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a Redis URL: expected redis://[user:password@]host:port[/db] or rediss://… for TLS.`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`"${redactRedisUrl(url)}" is not a Redis URL: it must start with redis:// or rediss:// (TLS), not ${u.protocol}//.`);
  if (!u.hostname) throw new Error(`"${redactRedisUrl(url)}" names no host.`);
  return url;
}

/** the URL without its password, for messages and logs */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

/**
 * An ioredis connection from a URL (ioredis parses the password, the user, the database and, for
 * rediss://, TLS). BullMQ needs maxRetriesPerRequest null on the connections it blocks on.
 */
export function redisConnection(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(checkRedisUrl(url), { maxRetriesPerRequest: null, lazyConnect: true, ...opts });
}

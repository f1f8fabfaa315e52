// Physics datasets: rollouts of the ground-truth simulator (one row of physics_trajectories each),
// written in batches while a job runs, and read and written as .npz in the GNS layout.
import { ApiError } from '../../../src-shared/errors';
import { asDatasetKind, type DatasetInfo, type DatasetStatus, type PhysicsDatasetInfo } from '../../../src-shared/api';
import { PARTICLE_TYPE } from '../../../src-shared/fluidtool2d';
import { fromFloat32Blob } from '../storage/blob';
import type { Db } from '../storage/database';
import { DatasetStore, toDatasetInfo, type DatasetRow } from '../storage/datasets';
import { PhysicsTrajectoryStore, type TrajectoryRow } from '../storage/physics-trajectories';
import { ProjectStore } from '../storage/projects';
import {
  NpyFormatError,
  dtypeLabel,
  formatShape,
  isFloatDtype,
  isIntegerDtype,
  toFloat32,
  toIntArray,
  writeNpyBytes,
  type NpyArray,
} from './npy';
import { NpzFormatError, readNpz, zipNpyFiles } from './npz';
import { taskProblem } from './task-range';
import type { TaskRange } from '../../../src-shared/environments';

/** One rollout. */
export interface PhysicsTrajectory {
  /** normalized design in [-1, 1]^d; empty when the trajectory has none (e.g. imported without one) */
  design: Float32Array;
  /** target point [2], or null */
  task: Float32Array | null;
  /** [frames, particles, 2], C order */
  positions: Float32Array;
  frames: number;
  particles: number;
  /** [particles], GNS particle types: 5 water, 3 tool */
  particleTypes: Uint8Array;
  cost: number | null;
  capture: number | null;
}

export interface StoredTrajectory extends PhysicsTrajectory {
  id: number;
  datasetId: number;
}


function toTrajectory(r: TrajectoryRow): StoredTrajectory {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    design: fromFloat32Blob(r.design),
    task: r.task ? fromFloat32Blob(r.task) : null,
    positions: fromFloat32Blob(r.positions),
    frames: r.frames,
    particles: r.particles,
    particleTypes: new Uint8Array(r.particle_types),
    cost: r.cost,
    capture: r.capture,
  };
}

function notFound(id: number): ApiError {
  return new ApiError('not_found', `There is no dataset with id ${id}.`, [{ path: 'id', message: 'no such dataset' }]);
}

/** An .npz import error: names the array key and the problem. */
function invalidArray(key: string, problem: string): ApiError {
  return new ApiError('invalid_argument', `${key}: ${problem}`, [{ path: key, message: problem }]);
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

/** Checks one trajectory before anything is written; `at` names it in messages. */
function checkTrajectory(t: PhysicsTrajectory, at: string): void {
  if (!Number.isSafeInteger(t.frames) || t.frames < 1) throw new Error(`${at}: frames is ${t.frames}, not a positive integer`);
  if (!Number.isSafeInteger(t.particles) || t.particles < 1) throw new Error(`${at}: particles is ${t.particles}, not a positive integer`);
  const expected = t.frames * t.particles * 2;
  if (t.positions.length !== expected) {
    throw new Error(`${at}: positions has ${t.positions.length} values, [frames ${t.frames}, particles ${t.particles}, 2] needs ${expected}`);
  }
  const bad = firstNonFinite(t.positions);
  if (bad >= 0) throw new Error(`${at}: position value ${t.positions[bad]} at flat index ${bad} is not finite`);
  if (t.particleTypes.length !== t.particles) {
    throw new Error(`${at}: particleTypes has ${t.particleTypes.length} values, one per particle needs ${t.particles}`);
  }
  if (firstNonFinite(t.design) >= 0) throw new Error(`${at}: design has a value that is not finite`);
  if (t.task && (t.task.length !== 2 || firstNonFinite(t.task) >= 0)) throw new Error(`${at}: task must be 2 finite values`);
  for (const [field, v] of [['cost', t.cost], ['capture', t.capture]] as const) {
    if (v !== null && !Number.isFinite(v)) throw new Error(`${at}: ${field} is ${v}, not a finite number or null`);
  }
}

/** A dataset name as a file name: no path separators, control or reserved characters. */
export function safeFileName(name: string, fallback: string): string {
  let s = name
    .replace(/[<>:"/\\|?*]/g, '_')
    .split('')
    .map((c) => (c.charCodeAt(0) < 32 ? '_' : c))
    .join('')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '')
    .slice(0, 100);
  if (/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(s)) s = `_${s}`;
  return s || fallback;
}

// ---- the .npz layout: keys `positions`, `particle_type`, `design`, `task`, or each prefixed `traj<i>_` ----

const FIELDS = ['positions', 'particle_type', 'design', 'task'] as const;
type Field = (typeof FIELDS)[number];
const EXPORT_PAGE = 64;

/** The keys of one trajectory in an .npz: `key(field)` is the array name, with or without prefix. */
interface NpzTrajectory {
  prefix: string;
  arrays: Partial<Record<Field, NpyArray>>;
}

/** Groups the arrays into trajectories, refusing unknown keys, a mix of both layouts, and gaps. */
function npzTrajectories(arrays: Map<string, NpyArray>): NpzTrajectory[] {
  const single: NpzTrajectory = { prefix: '', arrays: {} };
  const byIndex = new Map<number, NpzTrajectory>();
  for (const [key, array] of arrays) {
    const m = /^traj(0|[1-9]\d{0,8})_(.+)$/.exec(key);
    const field = (m ? m[2] : key) as Field;
    if (!FIELDS.includes(field)) {
      throw invalidArray(
        key,
        `unexpected array; an .npz holds positions, particle_type, and optionally design and task, each either unprefixed (one trajectory) or prefixed traj<i>_ (traj0_positions, traj0_particle_type, …)`,
      );
    }
    if (m) {
      const i = Number(m[1]);
      let t = byIndex.get(i);
      if (!t) byIndex.set(i, (t = { prefix: `traj${i}_`, arrays: {} }));
      t.arrays[field] = array;
    } else {
      single.arrays[field] = array;
    }
  }
  const singleKeys = Object.keys(single.arrays);
  if (singleKeys.length && byIndex.size) {
    const prefixed = [...arrays.keys()].find((k) => k.startsWith('traj'))!;
    throw invalidArray(singleKeys[0]!, `the archive mixes unprefixed arrays (one trajectory) with prefixed ones such as ${prefixed}; use one layout`);
  }
  const list = singleKeys.length ? [single] : [];
  const n = byIndex.size ? Math.max(...byIndex.keys()) + 1 : 0;
  for (let i = 0; i < n; i++) {
    const t = byIndex.get(i);
    if (!t) throw invalidArray(`traj${i}_positions`, `missing: trajectories must be numbered traj0_ to traj${n - 1}_ without gaps`);
    list.push(t);
  }
  for (const t of list) {
    for (const required of ['positions', 'particle_type'] as const) {
      if (!t.arrays[required]) {
        const present = Object.keys(t.arrays).map((f) => t.prefix + f);
        throw invalidArray(t.prefix + required, `missing (the archive has ${present.join(', ')} but no ${t.prefix + required})`);
      }
    }
  }
  return list;
}

/** Checks the shapes and dtypes of one trajectory's arrays (no values yet: that needs conversion). */
function checkNpzShapes(t: NpzTrajectory, designDim: number): void {
  const positions = t.arrays.positions!;
  const types = t.arrays.particle_type!;
  const k = (f: Field) => t.prefix + f;
  if (!isFloatDtype(positions.dtype)) throw invalidArray(k('positions'), `expected float32 or float64, got ${dtypeLabel(positions.dtype)}`);
  if (positions.shape.length !== 3 || positions.shape[2] !== 2) {
    throw invalidArray(k('positions'), `expected shape [T, N, 2], got ${formatShape(positions.shape)}`);
  }
  const [frames, particles] = positions.shape as [number, number, number];
  if (frames < 2) throw invalidArray(k('positions'), `expected at least 2 frames (shape [T, N, 2] with T ≥ 2), got ${formatShape(positions.shape)}`);
  if (particles < 1) throw invalidArray(k('positions'), `expected at least 1 particle (shape [T, N, 2] with N ≥ 1), got ${formatShape(positions.shape)}`);
  if (!isIntegerDtype(types.dtype)) throw invalidArray(k('particle_type'), `expected an integer array, got ${dtypeLabel(types.dtype)}`);
  if (types.shape.length !== 1 || types.shape[0] !== particles) {
    throw invalidArray(k('particle_type'), `expected shape [${particles}] (one type per particle of ${k('positions')}), got ${formatShape(types.shape)}`);
  }
  const design = t.arrays.design;
  if (design) {
    if (!isFloatDtype(design.dtype)) throw invalidArray(k('design'), `expected float32 or float64, got ${dtypeLabel(design.dtype)}`);
    if (design.shape.length !== 1 || design.shape[0] !== designDim) {
      throw invalidArray(k('design'), `expected shape [${designDim}] (the project's design dimension), got ${formatShape(design.shape)}`);
    }
  }
  const task = t.arrays.task;
  if (task) {
    if (!isFloatDtype(task.dtype)) throw invalidArray(k('task'), `expected float32 or float64, got ${dtypeLabel(task.dtype)}`);
    if (task.shape.length !== 1 || task.shape[0] !== 2) throw invalidArray(k('task'), `expected shape [2], got ${formatShape(task.shape)}`);
  }
}

/** Converts one checked trajectory, checking its values (the task against the project's range when given). */
function npzToTrajectory(t: NpzTrajectory, taskRange?: TaskRange): PhysicsTrajectory {
  const k = (f: Field) => t.prefix + f;
  const positions = toFloat32(t.arrays.positions!, k('positions'));
  const types = toIntArray(t.arrays.particle_type!, k('particle_type'));
  const particleTypes = new Uint8Array(types.length);
  for (let i = 0; i < types.length; i++) {
    const v = types[i]!;
    if (v < 0 || v > 255) throw invalidArray(k('particle_type'), `value ${v} at index [${i}] is outside 0..255`);
    particleTypes[i] = v;
  }
  let design: Float32Array = new Float32Array(0);
  if (t.arrays.design) {
    design = toFloat32(t.arrays.design, k('design'));
    const out = design.findIndex((v) => v < -1 || v > 1);
    if (out >= 0) throw invalidArray(k('design'), `value ${design[out]} at index [${out}] is outside [-1, 1] (designs are normalized)`);
  }
  const task = t.arrays.task ? toFloat32(t.arrays.task, k('task')) : null;
  if (task && taskRange) {
    for (let j = 0; j < 2; j++) {
      const problem = taskProblem(taskRange, j, task[j]!);
      if (problem) throw invalidArray(k('task'), `${problem} (index [${j}])`);
    }
  }
  const [frames, particles] = t.arrays.positions!.shape as [number, number, number];
  return { design, task, positions, frames, particles, particleTypes, cost: null, capture: null };
}

export class PhysicsDatasets {
  private readonly rows: DatasetStore;
  private readonly trajectoryRows: PhysicsTrajectoryStore;
  constructor(private readonly db: Db) {
    this.rows = new DatasetStore(db);
    this.trajectoryRows = new PhysicsTrajectoryStore(db);
  }

  /** A new, empty physics dataset; "building" while a job writes it. */
  create(projectId: number, name: string, source: string, jobId: number | null, status: DatasetStatus = 'building'): PhysicsDatasetInfo {
    this.assertProject(projectId);
    return this.getPhysics(this.rows.insert({ projectId, name, kind: 'physics', source, status, jobId }));
  }

  /** Writes a batch of trajectories in one transaction: all or none, checked before anything is written. */
  append(datasetId: number, trajectories: readonly PhysicsTrajectory[]): void {
    trajectories.forEach((t, i) => checkTrajectory(t, `trajectory ${i}`));
    this.db.transaction(() => {
      this.physicsRow(datasetId);
      for (const t of trajectories) this.trajectoryRows.insert(datasetId, t);
    }).immediate();
  }

  /** Computes the dataset's stats and stores them with its final status. */
  finish(datasetId: number, status: 'ready' | 'incomplete', recorded: { stepsPerFrame?: number } = {}): PhysicsDatasetInfo {
    this.db.transaction(() => {
      this.physicsRow(datasetId);
      this.storeStats(datasetId, status, recorded);
    }).immediate();
    return this.getPhysics(datasetId);
  }

  /** A physics dataset (an error for another kind). */
  getPhysics(id: number): PhysicsDatasetInfo {
    return asDatasetKind(this.get(id), 'physics');
  }

  get(id: number): DatasetInfo {
    const row = this.rows.row(id);
    if (!row) throw notFound(id);
    return toDatasetInfo(row);
  }

  /** The project's datasets of every kind, newest first. */
  list(projectId: number): DatasetInfo[] {
    return this.rows.list(projectId).map(toDatasetInfo);
  }

  /** Removes the dataset; its trajectories go with it through the foreign key. */
  delete(id: number): void {
    if (!this.rows.delete(id)) throw notFound(id);
  }

  /** The dataset's trajectories in the order they were written, decoded. */
  trajectories(datasetId: number, opts: { offset?: number; limit?: number } = {}): StoredTrajectory[] {
    this.physicsRow(datasetId);
    return this.trajectoryRows.page(datasetId, opts.limit ?? -1, opts.offset ?? 0).map(toTrajectory);
  }

  count(datasetId: number): number {
    return this.trajectoryRows.count(datasetId);
  }

  /**
   * Datasets left "building" by a process that is gone (a crash; see ORPHAN_DATASET) become
   * "incomplete", with stats of what was written. One still written by a live process is left alone.
   */
  markInterruptedBuilding(): number {
    return this.db.transaction(() => {
      const ids = this.rows.orphans('physics');
      for (const { id } of ids) this.storeStats(id, 'incomplete');
      return ids.length;
    }).immediate();
  }

  /**
   * Imports an .npz in the GNS layout as a new "ready" dataset: all or nothing. Every problem is an
   * ApiError('invalid_argument') whose message starts with the array key.
   */
  importNpz(
    projectId: number,
    name: string,
    bytes: Uint8Array,
    fileName: string,
    /** the project's design dimension, and its task range (tasks outside it are refused, as in the trajectory import) */
    expect: { designDim: number; taskRange?: TaskRange },
    /** the environment's cost of a trajectory with a task, so imported data is summarized like generated data */
    evaluate?: (t: PhysicsTrajectory & { task: Float32Array }) => { cost: number; capture: number },
  ): PhysicsDatasetInfo {
    this.assertProject(projectId);
    let arrays: Map<string, NpyArray>;
    try {
      arrays = readNpz(bytes);
    } catch (err) {
      throw asImportError(err);
    }
    const list = npzTrajectories(arrays);
    arrays.clear(); // `list` holds the arrays now; each is dropped once its trajectory is written
    for (const t of list) checkNpzShapes(t, expect.designDim);
    // values are checked while rows are written, one trajectory converted at a time; an error rolls all back
    const id = this.db.transaction(() => {
      const info = this.create(projectId, name, `imported:${fileName}`, null, 'ready');
      for (const t of list) {
        let trajectory: PhysicsTrajectory;
        try {
          trajectory = npzToTrajectory(t, expect.taskRange);
        } catch (err) {
          throw asImportError(err);
        }
        if (evaluate && trajectory.task) Object.assign(trajectory, evaluate(trajectory as PhysicsTrajectory & { task: Float32Array }));
        this.append(info.id, [trajectory]);
        for (const f of FIELDS) delete t.arrays[f];
      }
      this.storeStats(info.id, 'ready');
      return info.id;
    }).immediate();
    return this.getPhysics(id);
  }

  /** The dataset as an .npz in the prefixed GNS layout (traj<i>_positions float32, traj<i>_particle_type int64, …). */
  exportNpz(datasetId: number): { fileName: string; bytes: Uint8Array } {
    const dataset = this.physicsRow(datasetId);
    // one read transaction: a snapshot, even while a job appends to the dataset
    const files = this.db.transaction(() => {
      const out: Record<string, Uint8Array> = {};
      let i = 0;
      let after = 0;
      for (;;) {
        const rows = this.trajectoryRows.after(datasetId, after, EXPORT_PAGE);
        if (!rows.length) break;
        for (const r of rows) {
          const p = `traj${i}_`;
          // BLOBs are little-endian float32 already: written into the .npy without decoding
          out[`${p}positions`] = writeNpyBytes('f4', [r.frames, r.particles, r.dims], r.positions);
          const types = BigInt64Array.from(r.particle_types, (v) => BigInt(v));
          out[`${p}particle_type`] = writeNpyBytes('i8', [r.particles], new Uint8Array(types.buffer));
          if (r.design.byteLength) out[`${p}design`] = writeNpyBytes('f4', [r.design.byteLength / 4], r.design);
          if (r.task) out[`${p}task`] = writeNpyBytes('f4', [r.task.byteLength / 4], r.task);
          i++;
        }
        after = rows[rows.length - 1]!.id;
      }
      return out;
    })();
    if (!Object.keys(files).length) {
      throw new ApiError('invalid_argument', `Dataset "${dataset.name}" has no trajectories to export.`, [{ path: 'id', message: 'empty dataset' }]);
    }
    return { fileName: `${safeFileName(dataset.name, `dataset-${datasetId}`)}.npz`, bytes: zipNpyFiles(files) };
  }

  private storeStats(datasetId: number, status: DatasetStatus, recorded: { stepsPerFrame?: number } = {}): void {
    // how the trajectories were recorded is not in the rows: keep what the dataset said
    const previous = this.rows.stats(datasetId) as { stepsPerFrame?: number };
    const stepsPerFrame = recorded.stepsPerFrame ?? previous.stepsPerFrame;
    const a = this.trajectoryRows.aggregate(datasetId);
    const first = this.trajectoryRows.firstParticles(datasetId);
    const stats: Record<string, number | null> = { trajectories: a.trajectories };
    if (a.frames_min === a.frames_max) stats.frames = a.frames_min;
    else Object.assign(stats, { framesMin: a.frames_min, framesMax: a.frames_max });
    stats.particles = first?.particles ?? null;
    if (a.particles_min !== a.particles_max) Object.assign(stats, { particlesMin: a.particles_min, particlesMax: a.particles_max });
    stats.waterParticles = first ? first.particle_types.filter((v) => v === PARTICLE_TYPE.water).length : null;
    stats.toolParticles = first ? first.particle_types.filter((v) => v === PARTICLE_TYPE.tool).length : null;
    Object.assign(stats, { meanCost: a.mean_cost, minCost: a.min_cost, maxCost: a.max_cost, meanCapture: a.mean_capture, bytes: a.bytes });
    if (stepsPerFrame !== undefined && stepsPerFrame > 1) stats.stepsPerFrame = stepsPerFrame;
    this.rows.finish(datasetId, status, stats);
  }

  /** The dataset's row; not_found if missing, invalid_argument if it is not a physics dataset. */
  private physicsRow(id: number): DatasetRow {
    const row = this.rows.row(id);
    if (!row) throw notFound(id);
    if (row.kind !== 'physics') {
      throw new ApiError('invalid_argument', `Dataset ${id} ("${row.name}") is an ${row.kind} dataset, not a physics dataset.`, [{ path: 'id', message: 'not a physics dataset' }]);
    }
    return row;
  }

  private assertProject(projectId: number): void {
    if (!new ProjectStore(this.db).exists(projectId)) {
      throw new ApiError('not_found', `There is no project with id ${projectId}.`, [{ path: 'projectId', message: 'no such project' }]);
    }
  }
}

/** Errors of the .npz and .npy decoders as ApiErrors; anything else passes through. */
function asImportError(err: unknown): unknown {
  if (err instanceof NpyFormatError) return invalidArray(err.array, err.problem);
  if (err instanceof NpzFormatError) return new ApiError('invalid_argument', err.message, [{ path: 'npz', message: err.message }]);
  return err;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/errors';
import { writeNpy, type NpyArrayLike } from '../../src-main/engine/datasets/npy';
import { readNpz, writeNpz } from '../../src-main/engine/datasets/npz';
import { PhysicsDatasets, type PhysicsTrajectory } from '../../src-main/engine/datasets/physics';
import { countRows, testWorkbench } from './helpers';

const FIXTURES = join(__dirname, '../fixtures/npz');
const DESIGN_DIM = 8;

/** A trajectory whose position [f, p, c] is f + p / 16 + c / 32 + k (exact in float32). */
function trajectory(frames: number, types: number[], k: number, extra: Partial<PhysicsTrajectory> = {}): PhysicsTrajectory {
  const particles = types.length;
  const positions = Float32Array.from({ length: frames * particles * 2 }, (_, i) => {
    const f = Math.floor(i / (particles * 2));
    const p = Math.floor(i / 2) % particles;
    return f + p / 16 + (i % 2) / 32 + k;
  });
  return {
    design: Float32Array.from({ length: DESIGN_DIM }, (_, j) => (j - 4) / 8 + k / 64),
    task: Float32Array.from([0.5, 0.25 + k / 64]),
    positions,
    frames,
    particles,
    particleTypes: Uint8Array.from(types),
    cost: null,
    capture: null,
    ...extra,
  };
}

/** Arrays of a valid prefixed .npz with `n` trajectories (T = 3, N = 4), to be spoiled by a test. */
function validArrays(n: number): Record<string, NpyArrayLike> {
  const arrays: Record<string, NpyArrayLike> = {};
  for (let i = 0; i < n; i++) {
    const t = trajectory(3, [5, 5, 5, 3], i);
    arrays[`traj${i}_positions`] = { dtype: 'f4', shape: [3, 4, 2], data: t.positions };
    arrays[`traj${i}_particle_type`] = { dtype: 'i8', shape: [4], data: BigInt64Array.from([5n, 5n, 5n, 3n]) };
    arrays[`traj${i}_design`] = { dtype: 'f4', shape: [DESIGN_DIM], data: t.design };
    arrays[`traj${i}_task`] = { dtype: 'f4', shape: [2], data: t.task! };
  }
  return arrays;
}

describe('physics datasets', () => {
  let t: ReturnType<typeof testWorkbench>;
  let store: PhysicsDatasets;
  let projectId: number;
  beforeEach(() => {
    t = testWorkbench();
    store = new PhysicsDatasets(t.wb.db);
    projectId = t.wb.projects.create({ name: 'Tank', environment: 'fluidtool-2d', settings: { joints: DESIGN_DIM } }).id;
  });
  afterEach(() => t.dispose());

  /** Runs an import that must fail, and checks that it stored nothing. */
  function expectImportError(bytes: Uint8Array, message: RegExp | string, path?: string): ApiError {
    const before = { datasets: countRows(t.wb, 'datasets'), rows: countRows(t.wb, 'physics_trajectories') };
    let error: unknown;
    try {
      store.importNpz(projectId, 'Imported', bytes, 'bad.npz', { designDim: DESIGN_DIM });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.code).toBe('invalid_argument');
    if (typeof message === 'string') expect(apiError.message).toBe(message);
    else expect(apiError.message).toMatch(message);
    if (path) expect(apiError.issues[0]?.path).toBe(path);
    expect(countRows(t.wb, 'datasets')).toBe(before.datasets);
    expect(countRows(t.wb, 'physics_trajectories')).toBe(before.rows);
    expect(before).toEqual({ datasets: 0, rows: 0 });
    return apiError;
  }

  it('creates a building dataset, appends batches, and finishes with stats computed from the rows', () => {
    const ds = store.create(projectId, 'Random designs', 'generated', null);
    expect(ds).toMatchObject({ projectId, name: 'Random designs', kind: 'physics', source: 'generated', status: 'building', jobId: null, stats: {} });
    store.append(ds.id, [trajectory(4, [5, 5, 5, 3, 3], 0, { cost: 0.5, capture: 0.75 }), trajectory(4, [5, 3, 3, 3, 3], 1, { cost: null })]);
    store.append(ds.id, [trajectory(4, [5, 5, 5, 5, 3], 2, { cost: 0.25, task: null })]);
    expect(store.count(ds.id)).toBe(3);

    const done = store.finish(ds.id, 'ready');
    expect(done.status).toBe('ready');
    // per row: design 8×4, task 2×4 (none in the third), positions 4×5×2×4, types 5
    const bytes = 3 * (32 + 160 + 5) + 2 * 8;
    expect(done.stats).toEqual({
      trajectories: 3,
      frames: 4,
      particles: 5,
      waterParticles: 3,
      toolParticles: 2,
      meanCost: 0.375,
      minCost: 0.25,
      maxCost: 0.5,
      meanCapture: 0.75,
      bytes,
    });
    expect(store.get(ds.id)).toEqual(done);
  });

  it('reports a frame range when trajectories differ in length, and nulls for missing costs', () => {
    const ds = store.create(projectId, 'Mixed', 'generated', null);
    store.append(ds.id, [trajectory(6, [3, 5], 0), trajectory(2, [5, 5], 1), trajectory(3, [5, 5, 5], 2)]);
    const stats = store.finish(ds.id, 'incomplete').stats;
    expect(stats).toMatchObject({ trajectories: 3, framesMin: 2, framesMax: 6, particles: 2, particlesMin: 2, particlesMax: 3, waterParticles: 1, toolParticles: 1 });
    expect(stats.frames).toBeUndefined();
    expect(stats).toMatchObject({ meanCost: null, minCost: null, maxCost: null, meanCapture: null });
    expect(store.get(ds.id).status).toBe('incomplete');

    const empty = store.finish(store.create(projectId, 'Empty', 'generated', null).id, 'incomplete');
    expect(empty.stats).toMatchObject({ trajectories: 0, particles: null, waterParticles: null, bytes: 0 });
  });

  it('returns trajectories decoded, in write order, in pages', () => {
    const ds = store.create(projectId, 'D', 'generated', null);
    const written = [0, 1, 2, 3, 4].map((k) => trajectory(2, [5, 3, 5], k, { cost: k / 4, capture: k === 2 ? 0.5 : null }));
    store.append(ds.id, written.slice(0, 2));
    store.append(ds.id, written.slice(2));
    const all = store.trajectories(ds.id);
    expect(all.map((r) => r.cost)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(all[2]!.capture).toBe(0.5);
    expect(all[3]!.datasetId).toBe(ds.id);
    expect(Array.from(all[3]!.positions)).toEqual(Array.from(written[3]!.positions));
    expect(Array.from(all[3]!.particleTypes)).toEqual([5, 3, 5]);
    expect(Array.from(all[3]!.design)).toEqual(Array.from(written[3]!.design));
    expect(Array.from(all[3]!.task!)).toEqual(Array.from(written[3]!.task!));
    expect(store.trajectories(ds.id, { offset: 1, limit: 2 }).map((r) => r.cost)).toEqual([0.25, 0.5]);
    expect(store.trajectories(ds.id, { offset: 4 }).map((r) => r.cost)).toEqual([1]);
  });

  it('checks a batch before writing any of it', () => {
    const ds = store.create(projectId, 'D', 'generated', null);
    const good = trajectory(2, [5, 3], 0);
    const nan = trajectory(2, [5, 3], 1);
    nan.positions[5] = Number.NaN;
    expect(() => store.append(ds.id, [good, nan])).toThrow('trajectory 1: position value NaN at flat index 5 is not finite');
    expect(() => store.append(ds.id, [good, { ...good, frames: 3 }])).toThrow('trajectory 1: positions has 8 values, [frames 3, particles 2, 2] needs 12');
    expect(() => store.append(ds.id, [{ ...good, particleTypes: Uint8Array.from([5]) }])).toThrow('trajectory 0: particleTypes has 1 values, one per particle needs 2');
    expect(() => store.append(ds.id, [{ ...good, cost: Number.POSITIVE_INFINITY }])).toThrow(/cost is Infinity/);
    expect(() => store.append(999, [good])).toThrow(/no dataset with id 999/);
    expect(countRows(t.wb, 'physics_trajectories')).toBe(0);
  });

  it('lists every kind of dataset of a project, newest first, and deletes with its trajectories', () => {
    const a = store.create(projectId, 'A', 'generated', null);
    const db = t.wb.db;
    const opt = Number(db.prepare("INSERT INTO datasets (project_id, name, kind, source, created_at) VALUES (?, 'O', 'optimization', 'test', ?)").run(projectId, a.createdAt + 1).lastInsertRowid);
    const b = store.create(projectId, 'B', 'generated', null);
    db.prepare('UPDATE datasets SET created_at = ? WHERE id = ?').run(a.createdAt + 2, b.id);
    const other = t.wb.projects.create({ name: 'Other', environment: 'fluidtool-2d', settings: {} });
    store.create(other.id, 'X', 'generated', null);
    expect(store.list(projectId).map((d) => [d.name, d.kind])).toEqual([
      ['B', 'physics'],
      ['O', 'optimization'],
      ['A', 'physics'],
    ]);
    expect(() => store.trajectories(opt)).toThrow(/is an optimization dataset, not a physics dataset/);

    store.append(a.id, [trajectory(2, [5], 0), trajectory(2, [5], 1)]);
    store.append(b.id, [trajectory(2, [5], 2)]);
    store.delete(a.id);
    expect(countRows(t.wb, 'physics_trajectories')).toBe(1);
    expect(store.count(b.id)).toBe(1);
    expect(() => store.get(a.id)).toThrow(ApiError);
    expect(() => store.delete(a.id)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => store.get(12345)).toThrow(expect.objectContaining({ code: 'not_found', message: 'There is no dataset with id 12345.' }));
    expect(() => store.create(9999, 'N', 'generated', null)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('marks datasets left building by a crash as incomplete, with stats of what was written', () => {
    const a = store.create(projectId, 'A', 'generated', null);
    const b = store.create(projectId, 'B', 'generated', null);
    const c = store.create(projectId, 'C', 'generated', null);
    store.append(a.id, [trajectory(3, [5, 5, 3], 0, { cost: 2 }), trajectory(3, [5, 5, 3], 1, { cost: 4 })]);
    store.append(c.id, [trajectory(2, [5], 0)]);
    store.finish(c.id, 'ready');
    expect(store.markInterruptedBuilding()).toBe(2);
    expect(store.get(a.id)).toMatchObject({ status: 'incomplete', stats: { trajectories: 2, frames: 3, waterParticles: 2, toolParticles: 1, meanCost: 3 } });
    expect(store.get(b.id)).toMatchObject({ status: 'incomplete', stats: { trajectories: 0 } });
    expect(store.get(c.id).status).toBe('ready');
    expect(store.markInterruptedBuilding()).toBe(0);
  });

  it('exports the prefixed GNS layout and imports it back identically', () => {
    const ds = store.create(projectId, 'Run 1/2: "best" ', 'generated', null);
    const written = [trajectory(3, [5, 5, 3], 0, { cost: 1 }), trajectory(3, [5, 3, 3], 1, { task: null }), trajectory(3, [3, 5, 5], 2, { design: new Float32Array(0) })];
    store.append(ds.id, written);
    store.finish(ds.id, 'ready');

    const exported = store.exportNpz(ds.id);
    expect(exported.fileName).toBe('Run 1_2_ _best_.npz');
    const arrays = readNpz(exported.bytes);
    expect([...arrays.keys()]).toEqual([
      'traj0_positions', 'traj0_particle_type', 'traj0_design', 'traj0_task',
      'traj1_positions', 'traj1_particle_type', 'traj1_design',
      'traj2_positions', 'traj2_particle_type', 'traj2_task',
    ]);
    expect(arrays.get('traj0_positions')).toMatchObject({ dtype: 'f4', shape: [3, 3, 2] });
    expect(arrays.get('traj0_particle_type')).toMatchObject({ dtype: 'i8', shape: [3], data: BigInt64Array.from([5n, 5n, 3n]) });
    expect(arrays.get('traj0_design')).toMatchObject({ dtype: 'f4', shape: [DESIGN_DIM] });
    expect(arrays.get('traj0_task')).toMatchObject({ dtype: 'f4', shape: [2] });

    const imported = store.importNpz(projectId, 'Back', exported.bytes, exported.fileName, { designDim: DESIGN_DIM });
    expect(imported).toMatchObject({ kind: 'physics', status: 'ready', source: 'imported:Run 1_2_ _best_.npz', name: 'Back' });
    expect(imported.stats).toMatchObject({ trajectories: 3, frames: 3, particles: 3, waterParticles: 2, toolParticles: 1, meanCost: null });
    const back = store.trajectories(imported.id);
    expect(back).toHaveLength(3);
    back.forEach((r, i) => {
      const w = written[i]!;
      expect(Array.from(r.positions)).toEqual(Array.from(w.positions));
      expect(Array.from(r.particleTypes)).toEqual(Array.from(w.particleTypes));
      expect(Array.from(r.design)).toEqual(Array.from(w.design));
      expect(r.task ? Array.from(r.task) : null).toEqual(w.task ? Array.from(w.task) : null);
      expect([r.cost, r.capture]).toEqual([null, null]);
    });
  });

  it('exports a dataset larger than one page in order', () => {
    const ds = store.create(projectId, 'con', 'generated', null);
    const batch = Array.from({ length: 150 }, (_, k) => trajectory(2, [5, 3], k));
    store.append(ds.id, batch);
    const { fileName, bytes } = store.exportNpz(ds.id);
    expect(fileName).toBe('_con.npz');
    const arrays = readNpz(bytes);
    expect(arrays.size).toBe(150 * 4);
    expect(arrays.get('traj149_positions')!.data[0]).toBe(149);
    expect(arrays.get('traj64_positions')!.data[0]).toBe(64);
    expect(() => store.exportNpz(store.create(projectId, 'E', 'generated', null).id)).toThrow(/has no trajectories to export/);
  });

  it('imports an np.savez file with one unprefixed trajectory (float64 positions, int64 types)', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'numpy-single.npz')));
    const ds = store.importNpz(projectId, 'GNS', bytes, 'numpy-single.npz', { designDim: DESIGN_DIM });
    expect(ds).toMatchObject({ source: 'imported:numpy-single.npz', status: 'ready', jobId: null });
    // positions [3, 4, 2] ×4 + types 4 + design 8×4 + task 2×4
    expect(ds.stats).toEqual({
      trajectories: 1, frames: 3, particles: 4, waterParticles: 2, toolParticles: 2,
      meanCost: null, minCost: null, maxCost: null, meanCapture: null, bytes: 96 + 4 + 32 + 8,
    });
    const [r] = store.trajectories(ds.id);
    // make_fixtures.py: positions[f, p, c] = f + p / 8 + c / 16
    expect(r!.positions[(2 * 4 + 3) * 2 + 1]).toBe(2 + 3 / 8 + 1 / 16);
    expect(Array.from(r!.particleTypes)).toEqual([5, 5, 3, 3]);
    expect(Array.from(r!.design)).toEqual([-1, -0.5, 0, 0.25, 0.5, 0.75, 1, 0.125]);
    expect(Array.from(r!.task!)).toEqual([0.5, Math.fround(0.2)]);
  });

  it('imports an np.savez_compressed file with prefixed trajectories, design and task optional', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'numpy-multi-compressed.npz')));
    const ds = store.importNpz(projectId, 'GNS', bytes, 'multi.npz', { designDim: DESIGN_DIM });
    expect(ds.stats).toMatchObject({ trajectories: 2, framesMin: 2, framesMax: 4, particles: 3, waterParticles: 2, toolParticles: 1 });
    const [a, b] = store.trajectories(ds.id);
    expect(Array.from(a!.design)).toEqual(Array.from({ length: 8 }, (_, j) => Math.fround(-1 + (2 * j) / 7)));
    expect(b!.design.length).toBe(0);
    expect(b!.task).toBeNull();
    expect(b!.positions[(1 * 5 + 4) * 2]).toBe(10 + 1 + 4 / 8);
    expect(Array.from(b!.particleTypes)).toEqual([3, 3, 5, 5, 5]);
  });

  describe('refuses malformed .npz files, naming the array and the problem, storing nothing', () => {
    const spoil = (n: number, change: (a: Record<string, NpyArrayLike>) => void) => {
      const arrays = validArrays(n);
      change(arrays);
      return writeNpz(arrays);
    };

    it('positions of the wrong shape or too short', () => {
      expectImportError(
        spoil(4, (a) => (a.traj3_positions = { dtype: 'f4', shape: [50, 256, 3], data: new Float32Array(50 * 256 * 3) })),
        'traj3_positions: expected shape [T, N, 2], got [50, 256, 3]',
        'traj3_positions',
      );
      expectImportError(spoil(1, (a) => (a.traj0_positions = { dtype: 'f4', shape: [8, 2], data: new Float32Array(16) })), 'traj0_positions: expected shape [T, N, 2], got [8, 2]');
      expectImportError(spoil(1, (a) => (a.traj0_positions = { dtype: 'f4', shape: [1, 4, 2], data: new Float32Array(8) })), /^traj0_positions: expected at least 2 frames/);
      expectImportError(spoil(1, (a) => (a.traj0_positions = { dtype: 'f4', shape: [3, 0, 2], data: new Float32Array(0) })), /^traj0_positions: expected at least 1 particle/);
      expectImportError(spoil(1, (a) => (a.traj0_positions = { dtype: 'i4', shape: [3, 4, 2], data: new Int32Array(24) })), 'traj0_positions: expected float32 or float64, got int32');
    });

    it('a value that is not finite in a later trajectory rolls back the ones before it', () => {
      const bytes = spoil(3, (a) => {
        const p = Float32Array.from(a.traj2_positions!.data as Float32Array);
        p[(1 * 4 + 2) * 2 + 1] = Number.NaN;
        a.traj2_positions = { dtype: 'f4', shape: [3, 4, 2], data: p };
      });
      expectImportError(bytes, 'traj2_positions: value NaN at index [1, 2, 1] is not finite', 'traj2_positions');
    });

    it('particle types of the wrong length, type or range', () => {
      expectImportError(spoil(2, (a) => (a.traj1_particle_type = { dtype: 'i8', shape: [3], data: BigInt64Array.from([5n, 5n, 3n]) })), 'traj1_particle_type: expected shape [4] (one type per particle of traj1_positions), got [3]');
      expectImportError(spoil(2, (a) => (a.traj1_particle_type = { dtype: 'i8', shape: [4], data: BigInt64Array.from([5n, 300n, 3n, 3n]) })), 'traj1_particle_type: value 300 at index [1] is outside 0..255');
      expectImportError(spoil(1, (a) => (a.traj0_particle_type = { dtype: 'i4', shape: [4], data: Int32Array.from([5, 5, 3, -1]) })), 'traj0_particle_type: value -1 at index [3] is outside 0..255');
      expectImportError(spoil(1, (a) => (a.traj0_particle_type = { dtype: 'f4', shape: [4], data: Float32Array.from([5, 5, 3, 3]) })), 'traj0_particle_type: expected an integer array, got float32');
      expectImportError(spoil(1, (a) => (a.traj0_particle_type = { dtype: 'i8', shape: [4], data: BigInt64Array.from([5n, 2n ** 40n, 3n, 3n]) })), /^traj0_particle_type: value 1099511627776 at index \[1\] does not fit/);
    });

    it('designs of the wrong dimension or outside [-1, 1], tasks of the wrong shape or not finite', () => {
      expectImportError(spoil(2, (a) => (a.traj1_design = { dtype: 'f4', shape: [6], data: new Float32Array(6) })), "traj1_design: expected shape [8] (the project's design dimension), got [6]");
      expectImportError(spoil(2, (a) => (a.traj1_design = { dtype: 'f8', shape: [8], data: Float64Array.from([0, 0, 1.5, 0, 0, 0, 0, 0]) })), 'traj1_design: value 1.5 at index [2] is outside [-1, 1] (designs are normalized)');
      expectImportError(spoil(1, (a) => (a.traj0_design = { dtype: 'f4', shape: [8], data: Float32Array.from([0, 0, 0, Number.NaN, 0, 0, 0, 0]) })), 'traj0_design: value NaN at index [3] is not finite');
      expectImportError(spoil(1, (a) => (a.traj0_task = { dtype: 'f4', shape: [3], data: new Float32Array(3) })), 'traj0_task: expected shape [2], got [3]');
      expectImportError(spoil(1, (a) => (a.traj0_task = { dtype: 'f8', shape: [2], data: Float64Array.from([0.5, Infinity]) })), 'traj0_task: value Infinity at index [1] is not finite');
    });

    it('missing arrays, gaps in the numbering, mixed layouts and unknown keys', () => {
      expectImportError(spoil(2, (a) => delete a.traj1_positions), 'traj1_positions: missing (the archive has traj1_particle_type, traj1_design, traj1_task but no traj1_positions)');
      expectImportError(spoil(1, (a) => delete a.traj0_particle_type), /^traj0_particle_type: missing/);
      expectImportError(
        spoil(3, (a) => {
          for (const f of ['positions', 'particle_type', 'design', 'task']) delete a[`traj1_${f}`];
        }),
        'traj1_positions: missing: trajectories must be numbered traj0_ to traj2_ without gaps',
      );
      expectImportError(spoil(1, (a) => (a.positions = a.traj0_positions!)), /^positions: the archive mixes unprefixed arrays \(one trajectory\) with prefixed ones such as traj0_positions/);
      expectImportError(spoil(1, (a) => (a.traj0_velocity = a.traj0_task!)), /^traj0_velocity: unexpected array/);
      expectImportError(writeNpz({ particle_type: { dtype: 'u1', shape: [1], data: Uint8Array.from([5]) } }), /^positions: missing/);
    });

    it('files that are not readable .npz archives or hold pickled arrays', () => {
      expectImportError(new TextEncoder().encode('not a zip'), /not an \.npz file: it is not a zip archive/);
      expectImportError(zipSync({}), /archive is empty/);
      const header = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
      const pickled = new Uint8Array(128 + 16);
      pickled.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
      pickled.set(new TextEncoder().encode(header.padEnd(117, ' ') + '\n'), 10);
      const bytes = zipSync({ 'traj0_positions.npy': pickled, 'traj0_particle_type.npy': writeNpy({ dtype: 'u1', shape: [1], data: Uint8Array.from([5]) }) });
      const error = expectImportError(bytes, /^traj0_positions: dtype 'O': pickled object arrays are not supported; save plain numeric arrays instead/);
      expect(error.issues[0]?.path).toBe('traj0_positions');
      expect(() => store.importNpz(9999, 'X', writeNpz(validArrays(1)), 'x.npz', { designDim: DESIGN_DIM })).toThrow(expect.objectContaining({ code: 'not_found' }));
    });
  });
});

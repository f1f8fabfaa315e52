import { toFloat32Blob } from './blob';
import type { Db } from './database';
import { statement } from './statements';

/** A row of physics_trajectories: one rollout of a physics dataset. */
export interface TrajectoryRow {
  id: number;
  dataset_id: number;
  design: Buffer;
  task: Buffer | null;
  frames: number;
  particles: number;
  dims: number;
  positions: Buffer;
  particle_types: Buffer;
  cost: number | null;
  capture: number | null;
}

/** What a physics dataset's stats summarize, computed in SQL. */
export interface TrajectoryAggregate {
  trajectories: number;
  frames_min: number | null;
  frames_max: number | null;
  particles_min: number | null;
  particles_max: number | null;
  mean_cost: number | null;
  min_cost: number | null;
  max_cost: number | null;
  mean_capture: number | null;
  bytes: number;
}

export interface NewTrajectory {
  design: Float32Array;
  task: Float32Array | null;
  frames: number;
  particles: number;
  /** [frames, particles, 2] */
  positions: Float32Array;
  particleTypes: Uint8Array;
  cost: number | null;
  capture: number | null;
}

/** The physics_trajectories table (2-D rollouts: dims is 2). */
export class PhysicsTrajectoryStore {
  constructor(private readonly db: Db) {}

  insert(datasetId: number, t: NewTrajectory): void {
    statement(
      this.db,
      `INSERT INTO physics_trajectories (dataset_id, design, task, frames, particles, dims, positions, particle_types, cost, capture)
       VALUES (?, ?, ?, ?, ?, 2, ?, ?, ?, ?)`,
    ).run(
      datasetId,
      toFloat32Blob(t.design),
      t.task ? toFloat32Blob(t.task) : null,
      t.frames,
      t.particles,
      toFloat32Blob(t.positions),
      Buffer.from(t.particleTypes.buffer, t.particleTypes.byteOffset, t.particleTypes.byteLength),
      t.cost,
      t.capture,
    );
  }

  /** in the order written; limit -1: all */
  page(datasetId: number, limit: number, offset: number): TrajectoryRow[] {
    return statement(this.db, 'SELECT * FROM physics_trajectories WHERE dataset_id = ? ORDER BY id LIMIT ? OFFSET ?').all(datasetId, limit, offset) as TrajectoryRow[];
  }

  /** up to `limit` rows after id `afterId`, in the order written (keyset paging) */
  after(datasetId: number, afterId: number, limit: number): TrajectoryRow[] {
    return statement(this.db, 'SELECT * FROM physics_trajectories WHERE dataset_id = ? AND id > ? ORDER BY id LIMIT ?').all(datasetId, afterId, limit) as TrajectoryRow[];
  }

  count(datasetId: number): number {
    return (statement(this.db, 'SELECT COUNT(*) AS n FROM physics_trajectories WHERE dataset_id = ?').get(datasetId) as { n: number }).n;
  }

  aggregate(datasetId: number): TrajectoryAggregate {
    return statement(
      this.db,
      `SELECT COUNT(*) AS trajectories,
         MIN(frames) AS frames_min, MAX(frames) AS frames_max,
         MIN(particles) AS particles_min, MAX(particles) AS particles_max,
         AVG(cost) AS mean_cost, MIN(cost) AS min_cost, MAX(cost) AS max_cost,
         AVG(capture) AS mean_capture,
         COALESCE(SUM(length(design) + COALESCE(length(task), 0) + length(positions) + length(particle_types)), 0) AS bytes
       FROM physics_trajectories WHERE dataset_id = ?`,
    ).get(datasetId) as TrajectoryAggregate;
  }

  /** the first trajectory's particle count and types */
  firstParticles(datasetId: number): { particles: number; particle_types: Buffer } | null {
    return (
      (statement(this.db, 'SELECT particles, particle_types FROM physics_trajectories WHERE dataset_id = ? ORDER BY id LIMIT 1').get(datasetId) as
        | { particles: number; particle_types: Buffer }
        | undefined) ?? null
    );
  }
}

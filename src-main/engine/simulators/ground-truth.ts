import type { EnvironmentId, FluidTool2DSettings } from '../../../src-shared/environments';
import type { Compute } from '../compute/pool';
// registers the rollout with this thread's compute pool (a pool of size 0 runs it here)
import '../compute/rollout';
import type { RolloutOutcome } from '../compute/rollout';
import type { Rollout } from '../environments';
import type { QueryStore } from '../storage/queries';
import type { QueryContext, QueryOutcome, Simulator } from './simulator';

/**
 * The MPM simulator behind the Simulator interface: batches spread over the compute pool, or the
 * Redis queue's workers (compute/queue.ts), each part stored as it comes back, in its own transaction.
 */
export class GroundTruthSimulator implements Simulator {
  readonly kind = 'ground_truth' as const;
  readonly modelId = null;

  constructor(
    private readonly project: { environment: EnvironmentId; settings: FluidTool2DSettings },
    private readonly pool: Compute,
    private readonly queries: QueryStore,
    private readonly onRecorded?: (projectId: number, count: number) => void,
  ) {}

  async evaluate(designs: readonly Float32Array[], task: Float32Array, ctx: QueryContext): Promise<QueryOutcome[]> {
    const recorded: QueryOutcome[] = new Array(designs.length);
    await this.pool.map(
      'rollout',
      designs.map((design) => ({ environment: this.project.environment, settings: this.project.settings, design, task, keepRollout: false })),
      {
        onBatch: (b) => {
          const rows = this.record(designs.slice(b.start, b.start + b.results.length), task, b.results, ctx, b.id);
          rows.forEach((r, i) => (recorded[b.start + i] = r));
        },
      },
    );
    return recorded;
  }

  async rollout(design: Float32Array, task: Float32Array, ctx: QueryContext): Promise<QueryOutcome & { rollout: Rollout }> {
    const outcome = await this.pool.run('rollout', { environment: this.project.environment, settings: this.project.settings, design, task, keepRollout: true });
    const [recorded] = this.record([design], task, [outcome], ctx);
    return { ...recorded!, rollout: outcome.rollout! };
  }

  async replay(design: Float32Array, task: Float32Array): Promise<Omit<QueryOutcome, 'queryId'> & { rollout: Rollout }> {
    const o = await this.pool.run('rollout', { environment: this.project.environment, settings: this.project.settings, design, task, keepRollout: true });
    return { cost: o.cost, capture: o.capture, wallMs: o.wallMs, rollout: o.rollout! };
  }

  private record(designs: readonly Float32Array[], task: Float32Array, outcomes: RolloutOutcome[], ctx: QueryContext, batchId: string | null = null): QueryOutcome[] {
    const first = this.queries.record(
      outcomes.map((o, i) => ({
        projectId: ctx.projectId,
        design: designs[i]!,
        task,
        simulator: 'ground_truth' as const,
        modelId: null,
        cost: o.cost,
        capture: o.capture,
        wallMs: o.wallMs,
        method: ctx.method,
        run: ctx.run ?? null,
        outcome: o.outcome,
      })),
      batchId === null ? {} : { batchId },
    );
    this.onRecorded?.(ctx.projectId, outcomes.length);
    return outcomes.map((o, i) => ({ queryId: first + i, cost: o.cost, capture: o.capture, wallMs: o.wallMs }));
  }
}

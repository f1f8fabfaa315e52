// An outcome model's training data: the project's ground-truth outcomes as normalized examples,
// split by a seeded shuffle into training and held-out designs; a fine-tune also learns its
// starting model's own predictions at random designs (anchors), so it does not forget them.
import type { Environment } from '../environments';
import type { JobContext } from '../jobs/job-context';
import { openProjectTask } from '../jobs/project-context';
import { seededRandom } from '../random';
import { GroundTruthSimulator } from '../simulators/ground-truth';
import { QueryStore, type OutcomeExample } from '../storage/queries';
import type { OutcomeModel } from './model-file';
import { outcomeNormalization, type OutcomeModelConfig, type OutcomeNormalization } from './spec';
import { normalizeOutcomes, type OutcomeExamples } from './train';

/** Examples as arrays, normalized by `norm`. */
export function toOutcomeExamples(rows: OutcomeExample[], d: number, norm: OutcomeNormalization): OutcomeExamples {
  const D = norm.mean.length;
  const designs = new Float32Array(rows.length * d);
  const outcomes = new Float32Array(rows.length * D);
  rows.forEach((r, i) => {
    designs.set(r.design, i * d);
    outcomes.set(r.outcome, i * D);
  });
  return { n: rows.length, designs, targets: normalizeOutcomes(outcomes, rows.length, norm) };
}

/** The starting model's own outcomes at `n` random designs (seeded), normalized: what a fine-tune must not forget. */
export function anchorExamples(start: OutcomeModel, env: Environment, n: number, seed: number, norm: OutcomeNormalization): OutcomeExamples {
  const rand = seededRandom(seed ^ 0x1f83d9ab);
  const rows = Array.from({ length: n }, (_, i) => {
    const design = env.sampleDesign(rand);
    return { queryId: -i, design, outcome: start.predict(design) };
  });
  return toOutcomeExamples(rows, env.designSpace.dim, norm);
}

export function joinExamples(a: OutcomeExamples, b: OutcomeExamples): OutcomeExamples {
  const designs = new Float32Array(a.designs.length + b.designs.length);
  designs.set(a.designs);
  designs.set(b.designs, a.designs.length);
  const targets = new Float32Array(a.targets.length + b.targets.length);
  targets.set(a.targets);
  targets.set(b.targets, a.targets.length);
  return { n: a.n + b.n, designs, targets };
}

/** Seeded split: the same examples and seed give the same held-out designs. */
export function splitOutcomes(rows: OutcomeExample[], fraction: number, seed: number): { train: OutcomeExample[]; val: OutcomeExample[] } {
  const order = rows.map((_, i) => i);
  const rand = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction)));
  return { val: order.slice(0, nVal).map((i) => rows[i]!), train: order.slice(nVal).map((i) => rows[i]!) };
}

/** New random designs rolled out on the ground truth, stored with their outcomes; returns how many. */
export async function generateOutcomes(ctx: JobContext, params: { generate: number; seed: number }, share: number): Promise<number> {
  const { projectId, db, project, env } = openProjectTask(ctx, undefined, 'An outcome model');
  const simulator = new GroundTruthSimulator(project, ctx.compute(), new QueryStore(db), (id, count) => ctx.emit('queries.added', { projectId: id, count }));
  const rand = seededRandom(params.seed ^ 0x3c6ef372);
  const chunk = Math.max(8, 4 * ctx.compute().size);
  let done = 0;
  while (done < params.generate) {
    ctx.throwIfCancelled();
    const n = Math.min(chunk, params.generate - done);
    const designs = Array.from({ length: n }, () => env.sampleDesign(rand));
    // the task only sets the stored cost and capture: the outcome is the same for every task
    await simulator.evaluate(designs, env.sampleTask(rand), { projectId, method: 'outcome.data', run: `outcome-data-${ctx.jobId}` });
    done += n;
    ctx.progress((share * done) / params.generate, `ground-truth rollouts ${done}/${params.generate}`);
  }
  return done;
}

/** the share of a fine-tune's batches drawn from outcomes its starting model never saw */
export const FOCUS_SHARE = 0.25;
/**
 * A fine-tune on few outcomes would forget what its starting model knew: it also learns the
 * starting model's own predictions at this many random designs (fewer as real outcomes grow).
 */
const ANCHORS = 2000;

export interface OutcomeTrainingSet {
  /** the normalization: the starting model's or the resumed one's, else computed from the training outcomes */
  norm: OutcomeNormalization;
  /** held-out outcomes (validation loss, fidelity) */
  val: OutcomeExample[];
  valData: OutcomeExamples;
  /** the training examples: the real ones, then the anchors */
  trainData: OutcomeExamples;
  real: number;
  anchors: number;
  /** indices of the training outcomes the starting model never saw */
  focus: number[];
}

/**
 * The examples of a training on `rows`, split by `seed`. `startUpToId`: a fine-tune, whose
 * starting model learned the outcomes up to that query id, and which also learns its predictions.
 */
export function outcomeTrainingSet(
  rows: OutcomeExample[],
  config: { outcome: OutcomeModelConfig; norm: OutcomeNormalization; startUpToId?: number },
  split: { validationFraction: number; seed: number },
  env: Environment,
  start: OutcomeModel | null,
): OutcomeTrainingSet {
  const { train, val } = splitOutcomes(rows, split.validationFraction, split.seed);
  let norm = config.norm;
  if (!norm.mean.length) {
    const D = env.outcomeSpec.dim;
    const flat = new Float32Array(train.length * D);
    train.forEach((r, i) => flat.set(r.outcome, i * D));
    norm = outcomeNormalization(flat, train.length, config.outcome);
  }
  const d = env.designSpace.dim;
  const real = toOutcomeExamples(train, d, norm);
  const anchors = start ? Math.max(0, ANCHORS - train.length) : 0;
  const trainData = anchors ? joinExamples(real, anchorExamples(start!, env, anchors, split.seed, norm)) : real;
  // a fine-tune weighs the outcomes its starting model never saw: a share of every batch
  const upTo = config.startUpToId;
  const focus = upTo === undefined ? [] : train.flatMap((r, i) => (r.queryId > upTo ? [i] : []));
  return { norm, val, valData: toOutcomeExamples(val, d, norm), trainData, real: real.n, anchors, focus };
}

/**
 * The outcomes a new model learns from: new rollouts first when asked (progress up to `share`),
 * then the project's ground-truth outcomes with query ids in (fromId, upToId], all its stored ones
 * or only the new; at least `least` of them, or the training is refused.
 */
export async function collectOutcomes(
  ctx: JobContext,
  queries: QueryStore,
  target: { projectId: number; outcomeDim: number; least: number; fineTune: boolean },
  params: { useStored: boolean; generate: number; seed: number },
  share: number,
): Promise<{ fromId: number; upToId: number }> {
  const fromId = params.useStored ? 0 : queries.lastId(target.projectId);
  if (params.generate > 0) await generateOutcomes(ctx, params, share);
  const upToId = queries.lastId(target.projectId);
  const count = queries.countOutcomeExamples(target.projectId, target.outcomeDim, { afterId: fromId, upToId });
  if (count < target.least) {
    throw new Error(
      `An outcome model ${target.fineTune ? 'fine-tune ' : ''}needs at least ${target.least} ground-truth queries with outcomes; ${params.useStored ? 'this project has' : 'this training made'} ${count}. ` +
        'Generate rollouts (a few thousand for a good model); queries stored before outcomes were recorded have none.',
    );
  }
  return { fromId, upToId };
}

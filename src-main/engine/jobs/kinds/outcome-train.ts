import type { ModelInfo } from '../../../../src-shared/api';
import type { Environment } from '../../environments';
import { bytesToFloats, floatBytes } from '../../nn/floats';
import { costFidelity, type CostFidelity, type ScoredDesign } from '../../outcome/fidelity';
import { OutcomeModel, physicsSettings, type OutcomeModelFile } from '../../outcome/model-file';
import { OutcomeNetwork } from '../../outcome/network';
import { exportOutcomeOnnx } from '../../outcome/onnx-export';
import { flattenOutcomeWeights, initialOutcomeWeights, outcomeNormalization, unflattenOutcomeWeights, type OutcomeModelConfig, type OutcomeNormalization, type OutcomeWeights } from '../../outcome/spec';
import { drawBatch, normalizeOutcomes, OutcomeTrainer, type OutcomeExamples } from '../../outcome/train';
import { seededRandom } from '../../random';
import { GroundTruthSimulator } from '../../simulators/ground-truth';
import { QueryStore, type OutcomeExample } from '../../storage/queries';
import { stepRandom } from '../../diffusion/train';
import { loadTf } from '../../tf';
import type { JobContext, JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { MIN_FINE_TUNE_EXAMPLES, MIN_OUTCOME_EXAMPLES, readyOutcomeModel, type OutcomeTrainParams } from './outcome-train.check';
import { freshTrainingState, runTrainingLoop, trainingMetrics, type TrainingState } from '../training-loop';


const CHECKPOINT_JSON = 'checkpoint.json';
const CHECKPOINT_BIN = 'checkpoint.bin';
/** the share of a fine-tune's batches drawn from outcomes its starting model never saw */
const FOCUS_SHARE = 0.25;
/**
 * A fine-tune on few outcomes would forget what its starting model knew: it also learns the
 * starting model's own predictions at this many random designs (fewer as real outcomes grow).
 */
const ANCHORS = 2000;

interface CheckpointJson extends TrainingState {
  version: 1;
  weightsSize: number;
  optimizerSize: number;
}

/** What the model row's config holds: the network, its normalization and where its data ends. */
interface OutcomeConfig {
  outcome: OutcomeModelConfig;
  norm: OutcomeNormalization;
  training: OutcomeTrainParams;
  /** the training data: the project's ground-truth outcomes with query ids in (fromId, upToId] */
  data: { fromId: number; upToId: number };
  physics: Record<string, unknown>;
  backend: string;
  initModelId?: number;
  /** a fine-tune: the last query id its starting model learned from (newer outcomes get more weight) */
  startUpToId?: number;
}

/** Examples as arrays, normalized by `norm`. */
function toExamples(rows: OutcomeExample[], d: number, norm: OutcomeNormalization): OutcomeExamples {
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
function anchorExamples(start: OutcomeModel, env: Environment, n: number, seed: number, norm: OutcomeNormalization): OutcomeExamples {
  const rand = seededRandom(seed ^ 0x1f83d9ab);
  const rows = Array.from({ length: n }, (_, i) => {
    const design = env.sampleDesign(rand);
    return { queryId: -i, design, outcome: start.predict(design) };
  });
  return toExamples(rows, env.designSpace.dim, norm);
}

function joinExamples(a: OutcomeExamples, b: OutcomeExamples): OutcomeExamples {
  const designs = new Float32Array(a.designs.length + b.designs.length);
  designs.set(a.designs);
  designs.set(b.designs, a.designs.length);
  const targets = new Float32Array(a.targets.length + b.targets.length);
  targets.set(a.targets);
  targets.set(b.targets, a.targets.length);
  return { n: a.n + b.n, designs, targets };
}

/** Seeded split: the same examples and seed give the same held-out designs. */
function split(rows: OutcomeExample[], fraction: number, seed: number): { train: OutcomeExample[]; val: OutcomeExample[] } {
  const order = rows.map((_, i) => i);
  const rand = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction)));
  return { val: order.slice(0, nVal).map((i) => rows[i]!), train: order.slice(nVal).map((i) => rows[i]!) };
}

/**
 * The fidelity protocol on held-out designs: `tasks` random tasks of the project's range; the
 * true cost and capture from each design's stored outcome, the learned ones from the model.
 */
export function outcomeFidelity(env: Environment, model: OutcomeModel, heldOut: readonly { design: Float32Array; outcome: Float32Array }[], tasks: number, seed: number): CostFidelity {
  const rand = seededRandom(seed ^ 0x6a09e667);
  const predicted = heldOut.map((h) => model.predict(h.design));
  const perTask: ScoredDesign[][] = Array.from({ length: tasks }, () => {
    const task = env.sampleTask(rand);
    return heldOut.map((h, i) => {
      const truth = env.evaluateOutcome(h.outcome, task);
      const learned = env.evaluateOutcome(predicted[i]!, task);
      return { trueCost: truth.cost, learnedCost: learned.cost, trueCapture: truth.capture, learnedCapture: learned.capture };
    });
  });
  return costFidelity(perTask);
}

/** New random designs rolled out on the ground truth, stored with their outcomes; returns how many. */
async function generateRollouts(ctx: JobContext, params: OutcomeTrainParams, share: number): Promise<number> {
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

/**
 * Refinement after a run (Adam, sampling): a fine-tune of the outcome model the run used on all
 * the project's ground-truth outcomes, the run's new checks weighed more, as a new model named
 * after it. Runs inside the calling job; its progress maps into [from, 1).
 */
export async function refineOutcomeModel(ctx: JobContext, model: ModelInfo, opts: { steps: number; seed: number; from: number }): Promise<{ modelId: number; spearmanMean: number }> {
  const trained = (model.config as Partial<OutcomeConfig>).training;
  const inner: JobContext = {
    jobId: ctx.jobId,
    projectId: ctx.projectId,
    dataDir: ctx.dataDir,
    signal: ctx.signal,
    progress: (f, message) => ctx.progress(opts.from + (1 - opts.from) * 0.99 * f, `refining the outcome model: ${message ?? ''}`),
    throwIfCancelled: () => ctx.throwIfCancelled(),
    database: () => ctx.database(),
    compute: () => ctx.compute(),
    emit: (event, payload) => ctx.emit(event, payload),
  };
  const base = model.name.replace(/ · refined( \d+)?$/, '');
  const round = Number(/ · refined (\d+)$/.exec(model.name)?.[1] ?? (model.name.endsWith(' · refined') ? 1 : 0)) + 1;
  const params: OutcomeTrainParams = {
    name: `${base} · refined${round > 1 ? ` ${round}` : ''}`.slice(0, 100),
    generate: 0,
    useStored: true,
    hidden: trained?.hidden ?? [128, 128],
    learningRate: (trained?.learningRate ?? 2e-3) / 4,
    batchSize: trained?.batchSize ?? 128,
    steps: opts.steps,
    evalEvery: Math.max(10, Math.round(opts.steps / 8)),
    patience: 4,
    validationFraction: trained?.validationFraction ?? 0.1,
    densityWeight: trained?.densityWeight ?? 0.1,
    fidelityTasks: trained?.fidelityTasks ?? 8,
    seed: opts.seed,
    initModelId: model.id,
  };
  const result = (await outcomeTrain(params, inner)) as { modelId: number; fidelity: { spearmanMean: number } };
  return { modelId: result.modelId, spearmanMean: result.fidelity.spearmanMean };
}

/**
 * Trains an outcome model on the project's ground-truth outcomes (and new rollouts made first):
 * live curves, a checkpoint at every evaluation (resumable on the same curve), early stopping,
 * fine-tuning from a ready model; then the fidelity protocol on the held-out designs and export
 * (model.json, weights.bin, model.onnx).
 */
export const outcomeTrain: JobRunner<OutcomeTrainParams> = async (requested, ctx) => {
  const { projectId, db, project, env, models } = openProjectTask(ctx, undefined, 'An outcome model');
  const queries = new QueryStore(db);
  const spec = env.outcomeSpec;
  const d = env.designSpace.dim;

  let model: ModelInfo;
  let config: OutcomeConfig;
  let start: OutcomeModel | null = null;
  if (requested.resumeModelId !== undefined) {
    model = models.get(requested.resumeModelId);
    if (model.projectId !== projectId || model.kind !== 'outcome') throw new Error(`Model ${model.id} is not an outcome model of this project.`);
    if (model.status === 'training') throw new Error(`Model ${model.id} is already training.`);
    if (!models.hasFile(model, CHECKPOINT_JSON)) throw new Error(`Model ${model.id} has no checkpoint to resume from.`);
    const before = model.config as unknown as OutcomeConfig;
    config = { ...before, training: { ...before.training, steps: Math.max(requested.steps, before.training.steps) } };
    // a fine-tune's anchors come from its starting model: it must still be there
    if (before.initModelId !== undefined) start = readyOutcomeModel(models, projectId, before.initModelId, env, project.settings, 'params.resumeModelId').model;
  } else {
    let startUpToId: number | undefined;
    if (requested.initModelId !== undefined) {
      const ready = readyOutcomeModel(models, projectId, requested.initModelId, env, project.settings, 'params.initModelId');
      start = ready.model;
      // a shipped model learned in another database: every outcome of this project is new to it
      const startConfig = ready.info.config as Partial<OutcomeConfig> & { shipped?: boolean };
      startUpToId = startConfig.shipped ? 0 : (startConfig.data?.upToId ?? 0);
    }
    const firstId = requested.useStored ? 0 : queries.lastId(projectId);
    const share = requested.generate > 0 ? 0.5 : 0;
    if (requested.generate > 0) await generateRollouts(ctx, requested, share);
    const outcome: OutcomeModelConfig = start?.file.config ?? { designDim: d, outcomeDim: spec.dim, costEntries: spec.costEntries, hidden: requested.hidden, outcomeVersion: spec.version };
    const upToId = queries.lastId(projectId);
    const count = queries.countOutcomeExamples(projectId, spec.dim, { afterId: firstId, upToId });
    const least = start ? MIN_FINE_TUNE_EXAMPLES : MIN_OUTCOME_EXAMPLES;
    if (count < least) {
      throw new Error(
        `An outcome model ${start ? 'fine-tune ' : ''}needs at least ${least} ground-truth queries with outcomes; ${requested.useStored ? 'this project has' : 'this training made'} ${count}. ` +
          'Generate rollouts (a few thousand for a good model); queries stored before outcomes were recorded have none.',
      );
    }
    const { tf: _tf, backend } = await loadTf();
    config = { outcome, norm: start?.file.norm ?? { mean: [], std: [] }, training: requested, data: { fromId: firstId, upToId }, physics: physicsSettings(project.settings), backend, initModelId: requested.initModelId, startUpToId };
    model = models.create({ projectId, kind: 'outcome', name: requested.name ?? `Outcome ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`, config, datasetId: null, jobId: ctx.jobId, status: 'training' });
  }
  const { tf } = await loadTf();
  const params = config.training;
  // atomically: two processes resuming one model must not both write its files
  if (requested.resumeModelId !== undefined && !models.claimForTraining(model.id, ctx.jobId)) throw new Error(`Model ${model.id} is already training.`);
  model = models.update(model.id, { status: 'training', jobId: ctx.jobId });
  const changed = (): void => ctx.emit('models.changed', { projectId, modelId: model.id });
  changed();

  let finished = false;
  try {
    const share = requested.resumeModelId === undefined && requested.generate > 0 ? 0.5 : 0;
    ctx.progress(share, 'Loading outcomes');
    const rows = queries.outcomeExamples(projectId, spec.dim, { afterId: config.data.fromId, upToId: config.data.upToId });
    const { train, val } = split(rows, params.validationFraction, params.seed);
    if (!config.norm.mean.length) {
      const flat = new Float32Array(train.length * spec.dim);
      train.forEach((r, i) => flat.set(r.outcome, i * spec.dim));
      config = { ...config, norm: outcomeNormalization(flat, train.length, config.outcome) };
      model = models.update(model.id, { config });
    }
    const real = toExamples(train, d, config.norm);
    const anchors = start ? Math.max(0, ANCHORS - train.length) : 0;
    const trainData = anchors ? joinExamples(real, anchorExamples(start!, env, anchors, params.seed, config.norm)) : real;
    // a fine-tune weighs the outcomes its starting model never saw: a share of every batch
    const focus = config.startUpToId === undefined ? [] : train.flatMap((r, i) => (r.queryId > config.startUpToId! ? [i] : []));
    const valData = toExamples(val, d, config.norm);

    let weights: OutcomeWeights;
    let bestWeights: OutcomeWeights;
    let checkpoint: CheckpointJson | null = null;
    let bin: Float32Array | null = null;
    if (requested.resumeModelId !== undefined) {
      checkpoint = JSON.parse(models.readFile(model, CHECKPOINT_JSON).toString('utf8')) as CheckpointJson;
      bin = bytesToFloats(models.readFile(model, CHECKPOINT_BIN));
      weights = unflattenOutcomeWeights(config.outcome, bin.subarray(0, checkpoint.weightsSize));
      bestWeights = unflattenOutcomeWeights(config.outcome, bin.subarray(checkpoint.weightsSize, 2 * checkpoint.weightsSize));
    } else {
      weights = start?.weights ?? initialOutcomeWeights(config.outcome, seededRandom(params.seed));
      bestWeights = weights;
    }
    const network = new OutcomeNetwork(tf, config.outcome, weights);
    const trainer = new OutcomeTrainer(tf, network, { learningRate: params.learningRate, decaySteps: params.decaySteps, restWeight: params.densityWeight });
    if (checkpoint && bin) {
      const o = 2 * checkpoint.weightsSize;
      trainer.restoreOptimizerState({ version: 1, step: checkpoint.step, m: bin.slice(o, o + checkpoint.optimizerSize), v: bin.slice(o + checkpoint.optimizerSize, o + 2 * checkpoint.optimizerSize) });
    }
    const state: TrainingState = checkpoint
      ? { step: checkpoint.step, curves: checkpoint.curves, best: checkpoint.best, evalsSinceBest: checkpoint.evalsSinceBest, trainingSeconds: checkpoint.trainingSeconds }
      : freshTrainingState();

    const saveCheckpoint = (): void => {
      const w = flattenOutcomeWeights(network.weights());
      const adam = trainer.optimizerState();
      const out = new Float32Array(2 * w.length + 2 * adam.m.length);
      out.set(w, 0);
      out.set(flattenOutcomeWeights(bestWeights), w.length);
      out.set(adam.m, 2 * w.length);
      out.set(adam.v, 2 * w.length + adam.m.length);
      // the binary first, then the JSON pointing at its step: a crash between them resumes the older step
      models.writeFile(model, CHECKPOINT_BIN, floatBytes(out));
      models.writeFile(model, CHECKPOINT_JSON, JSON.stringify({ version: 1, ...state, weightsSize: w.length, optimizerSize: adam.m.length } satisfies CheckpointJson));
    };
    let costLoss: number | null = null;
    const publish = (phase: string, extra: Record<string, unknown> = {}): void => {
      model = models.update(model.id, {
        metrics: { ...model.metrics, phase, ...trainingMetrics(state, params.steps), valCostLoss: costLoss, examples: { train: real.n, val: valData.n, anchors }, ...extra },
        files: models.existingFiles(model, [...model.files, CHECKPOINT_JSON, CHECKPOINT_BIN]),
      });
      changed();
    };
    publish('training');

    const { stoppedEarly } = await runTrainingLoop(ctx, state, {
      steps: params.steps,
      evalEvery: params.evalEvery,
      patience: params.patience,
      trainStep: (step) => trainer.step(trainData, drawBatch(trainData.n, Math.min(params.batchSize, trainData.n), stepRandom(params.seed, step), focus, FOCUS_SHARE)),
      validate: () => {
        const v = trainer.evaluate(valData);
        costLoss = v.costLoss;
        return v.loss;
      },
      onBest: () => {
        bestWeights = network.weights();
      },
      onEvaluated: () => {
        models.assertTraining(model.id, ctx.jobId);
        saveCheckpoint();
        publish('training');
      },
      progress: (step, loss) => ctx.progress(share + ((0.95 - share) * step) / params.steps, `step ${step}/${params.steps} · loss ${loss.toPrecision(3)}`),
      progressEvery: 20,
      memoryAdvice: 'train again with narrower hidden layers or a smaller batch.',
    });
    trainer.dispose();
    network.dispose();

    ctx.progress(0.96, `Fidelity on ${val.length} held-out designs`);
    const file: OutcomeModelFile = { version: 1, kind: 'outcome', config: config.outcome, norm: config.norm, physics: config.physics };
    const trained = new OutcomeModel(file, bestWeights);
    const fidelity = outcomeFidelity(env, trained, val, params.fidelityTasks, params.seed);
    models.assertTraining(model.id, ctx.jobId);
    models.writeFile(model, 'weights.bin', floatBytes(flattenOutcomeWeights(bestWeights)));
    models.writeFile(model, 'model.json', JSON.stringify(file));
    models.writeFile(model, 'model.onnx', exportOutcomeOnnx(config.outcome, bestWeights, config.norm, { model: String(model.id), project: String(projectId) }));
    model = models.update(model.id, { files: [...new Set([...model.files, 'model.json', 'weights.bin', 'model.onnx'])] });
    publish('done', { fidelity, stoppedEarly, spearman: fidelity.spearmanPooled, spearmanPerTask: fidelity.spearmanMean, fidelityDesigns: fidelity.designs });
    model = models.update(model.id, { status: 'ready' });
    finished = true;
    changed();
    ctx.progress(1, `ρ ${fidelity.spearmanMean.toFixed(3)} within task (worst ${fidelity.spearmanWorst.toFixed(3)}) on ${fidelity.designs} held-out designs`);
    return { modelId: model.id, steps: state.step, bestValLoss: state.best?.valLoss ?? null, stoppedEarly, examples: rows.length, fidelity: { spearmanMean: fidelity.spearmanMean, spearmanWorst: fidelity.spearmanWorst, bestQuarterMean: fidelity.bestQuarterMean, pickRankWorst: fidelity.pickRankWorst, designs: fidelity.designs, tasks: fidelity.tasks } };
  } finally {
    // a model another job has taken meanwhile is left to it
    if (!finished && models.trainedBy(model.id, ctx.jobId)) {
      models.update(model.id, { status: models.hasFile(model, CHECKPOINT_JSON) ? 'interrupted' : 'failed', files: models.existingFiles(model, models.get(model.id).files) });
      changed();
    }
  }
};

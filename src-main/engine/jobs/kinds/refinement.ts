// Refinement on the ground truth (issue: an outcome model grows accurate where the good designs
// are): a run that followed an outcome model checks its best distinct proposals on the ground
// truth, as ordinary stored queries with outcomes, and fine-tunes the model on them.
import { POLISH_STAGES, type ModelInfo, type ProjectSummary, type Refinement, type RefinementResult } from '../../../../src-shared/api';
import type { Environment } from '../../environments';
import { gaussian, seededRandom } from '../../random';
import { GroundTruthSimulator } from '../../simulators/ground-truth';
import { QueryStore } from '../../storage/queries';
import { JobCancelled, type JobContext } from '../job-context';
import { outcomeTrain } from './outcome-train';
import { storedDesignsFor } from '../../outcome/stored-designs';
import type { OutcomeConfig } from '../../outcome/simulator';
import type { OutcomeTrainParams } from './outcome-train.check';

export interface RefinementInput {
  projectId: number;
  project: ProjectSummary;
  env: Environment;
  task: Float32Array;
  /** the learned model the run followed */
  model: ModelInfo;
  refine: Refinement;
  method: string;
  run: string;
  /** proposals with their learned cost: the cheapest distinct ones are checked on the ground truth */
  proposals?: { design: Float32Array; learnedCost: number }[];
  /** designs the run already scored on the ground truth: no new queries */
  checked?: { design: Float32Array; cost: number; capture: number; queryId: number }[];
  seed: number;
  /** the job's progress when refinement starts */
  from: number;
}

/** The cheapest proposals, at most `count`, none within `tolerance` (max norm) of a cheaper one. */
export function distinctCheapest(proposals: { design: Float32Array; learnedCost: number }[], count: number, tolerance = 1e-3): { design: Float32Array; learnedCost: number }[] {
  const chosen: { design: Float32Array; learnedCost: number }[] = [];
  for (const p of [...proposals].sort((a, b) => a.learnedCost - b.learnedCost)) {
    if (chosen.length >= count) break;
    if (chosen.some((c) => c.design.every((v, j) => Math.abs(v - p.design[j]!) <= tolerance))) continue;
    chosen.push(p);
  }
  return chosen;
}

type GroundTruthPoint = { design: Float32Array; cost: number; capture: number; queryId: number };
const cheapest = <T extends { cost: number }>(points: readonly T[]): T => points.reduce((b, p) => (p.cost < b.cost ? p : b));

export async function refineOnGroundTruth(ctx: JobContext, input: RefinementInput): Promise<RefinementResult> {
  const none = (skipped: string): RefinementResult => ({ checks: 0, best: null, refinedModelId: null, skipped });
  if (!input.refine.enabled) return none('refinement is off');
  if (input.model.kind !== 'outcome') return none('the learned model is a GNS: refinement fine-tunes outcome models');
  // one ground-truth simulator for the checks and the polish, made when first needed
  const queryStore = new QueryStore(ctx.database());
  let groundTruth: GroundTruthSimulator | null = null;
  const simulator = (): GroundTruthSimulator =>
    (groundTruth ??= new GroundTruthSimulator(input.project, ctx.compute(), queryStore, (id, count) => ctx.emit('queries.added', { projectId: id, count })));
  // what the project knew when the refinement started: its checks and polish are not stored designs of this run
  const storedUpTo = input.refine.stored > 0 ? (input.refine.storedUpTo ?? queryStore.lastId(input.projectId)) : 0;
  let checked = (input.checked ?? []).map((c) => ({ ...c, learnedCost: null as number | null, stored: false }));
  let checks = 0;
  if (input.proposals?.length) {
    ctx.progress(input.from, 'checking the best proposals on the ground truth');
    const picks = distinctCheapest(input.proposals, input.refine.checks);
    const outcomes = await simulator().evaluate(
      picks.map((p) => p.design),
      input.task,
      { projectId: input.projectId, method: input.method, run: input.run },
    );
    checks = outcomes.length;
    checked = [...checked, ...outcomes.map((o, i) => ({ design: picks[i]!.design, cost: o.cost, capture: o.capture, queryId: o.queryId, learnedCost: picks[i]!.learnedCost, stored: false }))];
  }
  let stored: RefinementResult['stored'];
  if (input.refine.stored > 0) {
    ctx.progress(input.from, 'looking up the stored designs cheapest for this task');
    const found = storedDesignsFor(queryStore, input.env, input.projectId, input.task, { count: input.refine.stored, upToId: storedUpTo });
    stored = { count: found.length, upToQueryId: storedUpTo, cheapestCost: found[0]?.cost ?? null };
    checked = [...checked, ...found.map((f) => ({ ...f, learnedCost: null, stored: true }))];
  }
  let best = checked.length ? cheapest(checked) : null;
  ctx.throwIfCancelled();
  const checkedCost = best?.cost ?? null;
  let polished = 0;
  let screened = 0;
  let polishWon = false;
  if (best && input.refine.polish > 0) {
    const found = await polishOnGroundTruth(ctx, input, simulator(), checked);
    polished = found.queries;
    screened = found.screened;
    if (found.best.cost < best.cost) {
      best = { ...found.best, learnedCost: null, stored: false };
      polishWon = true;
    }
  }
  const checkedBest = best
    ? { design: Array.from(best.design), cost: best.cost, capture: best.capture, queryId: best.queryId, learnedCost: best.learnedCost, ...(polishWon ? { polished: true } : {}), ...(best.stored ? { stored: true } : {}) }
    : null;
  const done = { checks, polished, ...(screened ? { screened } : {}), ...(stored ? { stored } : {}), checkedCost: polished ? checkedCost : null, best: checkedBest };
  if (input.refine.steps === 0) return { ...done, refinedModelId: null, skipped: 'checked on the ground truth only (0 fine-tuning steps)' };
  try {
    const refined = await refineOutcomeModel(ctx, input.model, { steps: input.refine.steps, seed: input.seed, from: input.from + (1 - input.from) * 0.3 });
    return { ...done, refinedModelId: refined.modelId, skipped: null };
  } catch (err) {
    // the run and its checks stand; a fine-tune that could not run is said, not fatal
    if (err instanceof JobCancelled) throw err;
    return { ...done, refinedModelId: null, skipped: `the fine-tune failed: ${(err as Error).message}` };
  }
}

/**
 * The polish: `refine.polish` ground-truth queries around the checked designs. First the
 * screening (`refine.screen` > 0): each of the `screen` cheapest checked designs is queried
 * `screenDraws` more times nearby (std `polishSigma`), and the perturbations start from the
 * cheapest design of the neighbourhood with the lowest mean cost (its check and its draws). The
 * ground truth's cost is chaotic at small scales, so one check's cost is partly the luck of one
 * draw; a few draws tell a good neighbourhood from a lucky design. Without screening they start
 * from the cheapest check. Then the perturbations, in POLISH_STAGES equal stages of the queries
 * left whose std falls geometrically from `refine.polishWideSigma` (the first stage) to
 * `refine.polishSigma` (the last; every stage at `polishSigma` when the wide std is 0): a wide
 * look where the cost still has a slope, narrowing to the best design's neighbourhood. Each
 * stage runs in rounds (a batch that keeps every worker busy) of small Gaussian perturbations
 * (clipped to the design box [-1, 1]) of the cheapest design so far. Seeded by the run's seed;
 * ordinary stored queries.
 */
export async function polishOnGroundTruth(
  ctx: Pick<JobContext, 'throwIfCancelled' | 'progress' | 'compute'>,
  input: Pick<RefinementInput, 'refine' | 'task' | 'projectId' | 'method' | 'run' | 'seed' | 'from'>,
  simulator: Pick<GroundTruthSimulator, 'evaluate'>,
  checked: readonly GroundTruthPoint[],
): Promise<{ queries: number; screened: number; best: GroundTruthPoint }> {
  const { polish, polishSigma, screen, screenDraws } = input.refine;
  // its own stream: the polish does not replay the draws of the run before it
  const normal = gaussian(seededRandom((input.seed ^ 0x9e3779b9) >>> 0));
  const perturb = (design: Float32Array, sigma: number): Float32Array => design.map((v) => Math.min(1, Math.max(-1, v + sigma * normal())));
  let queries = 0;
  const query = async (designs: Float32Array[]): Promise<GroundTruthPoint[]> => {
    const outcomes = await simulator.evaluate(designs, input.task, { projectId: input.projectId, method: input.method, run: input.run });
    queries += outcomes.length;
    return outcomes.map((o, i) => ({ design: designs[i]!, cost: o.cost, capture: o.capture, queryId: o.queryId }));
  };
  let best = cheapest(checked);
  let centre = best;
  let screened = 0;
  if (screen > 0) {
    ctx.progress(input.from, `screening the ${Math.min(screen, checked.length)} best checked designs on the ground truth`);
    const top = [...checked].sort((a, b) => a.cost - b.cost).slice(0, screen);
    const draws = await query(top.flatMap((c) => Array.from({ length: screenDraws }, () => perturb(c.design, polishSigma))));
    screened = draws.length;
    const neighbourhoods = top.map((c, k) => [c, ...draws.slice(k * screenDraws, (k + 1) * screenDraws)]);
    const means = neighbourhoods.map((n) => n.reduce((sum, p) => sum + p.cost, 0) / n.length);
    centre = cheapest(neighbourhoods[means.indexOf(Math.min(...means))]!);
    best = cheapest([best, ...draws]);
  }
  const stages = polishStages({ ...input.refine, polish: polish - screened }).map((st) => ({ ...st, end: st.end + screened }));
  const round = Math.max(8, 4 * ctx.compute().size);
  while (queries < polish) {
    ctx.throwIfCancelled();
    ctx.progress(input.from + (1 - input.from) * 0.3 * (queries / polish), `polishing on the ground truth: ${queries}/${polish} queries, best ${best.cost.toPrecision(4)}`);
    const { end, sigma } = stages.find((st) => queries < st.end)!;
    const found = await query(Array.from({ length: Math.min(round, end - queries) }, () => perturb(centre.design, sigma)));
    for (const p of found) {
      if (p.cost < centre.cost) centre = p;
      if (p.cost < best.cost) best = p;
    }
  }
  return { queries, screened, best };
}

/** Each stage of the polish: the query count it ends at and its std. */
export function polishStages(refine: Pick<Refinement, 'polish' | 'polishSigma' | 'polishWideSigma'>): { end: number; sigma: number }[] {
  const { polish, polishSigma, polishWideSigma } = refine;
  const count = Math.max(1, Math.min(POLISH_STAGES, polish));
  return Array.from({ length: count }, (_, k) => ({
    end: Math.round((polish * (k + 1)) / count),
    sigma: polishWideSigma > 0 && count > 1 ? polishWideSigma * (polishSigma / polishWideSigma) ** (k / (count - 1)) : polishSigma,
  }));
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
    // a refinement's short fine-tune runs inside the run's own job, here
    queue: false,
  };
  const result = (await outcomeTrain(params, inner)) as { modelId: number; fidelity: { spearmanMean: number } };
  return { modelId: result.modelId, spearmanMean: result.fidelity.spearmanMean };
}

import type { RefinementResult, SampledDesign, SampleResult } from '../../../../src-shared/api';
import { costAtQuantile, normalizeCondition } from '../../diffusion/training-data';
import { readDiffusionModel } from '../../diffusion/model-file';
import { OnnxDenoiser } from '../../diffusion/onnx-denoiser';
import { expectedQueries, sampleDesigns, samplingMethod, samplingProgress, type SampleSettings } from '../../diffusion/samplers/pipeline';
import { gaussian } from '../../random';
import { seededRandom } from '../../random';
import { GroundTruthSimulator } from '../../simulators/ground-truth';
import { LearnedRunner, LearnedSimulator } from '../../simulators/learned';
import { loadLearnedEnergy, OutcomeSimulator, readOutcomeModel, type LearnedEnergy } from '../../simulators/learned-energy';
import type { QueryOutcome, Simulator } from '../../simulators/simulator';
import { DesignStore } from '../../storage/designs';
import { QueryStore } from '../../storage/queries';
import type { JobRunner } from '../job-context';
import { openProjectTask } from '../project-context';
import { refineOnGroundTruth } from './refinement';
import { resolveSampleModels, type SampleParams } from './sample.check';


/**
 * Samples designs from a diffusion prior for one task (docs/method.md §2-4): guided as asked,
 * optionally from particles refined in the base distribution. Every simulator evaluation (particle
 * weights, energy gradients, final scores) is a stored query; the final designs go to the designs
 * table with their provenance; the best cost against queries is published live.
 */
export const sampleJob: JobRunner<SampleParams> = async (params, ctx) => {
  const { projectId, db, project, env, task, models } = openProjectTask(ctx, params.task, 'Sampling');
  const resolved = resolveSampleModels({ project, env, models }, params);
  const diffusion = readDiffusionModel(models, resolved.diffusion);
  const method = samplingMethod(params);
  const run = `${method}-${ctx.jobId}`;
  const queries = new QueryStore(db);
  const onRecorded = (id: number, count: number): void => ctx.emit('queries.added', { projectId: id, count });

  let runner: LearnedRunner | null = null;
  let gradient: LearnedEnergy | null = null;
  const denoiser = await OnnxDenoiser.load(diffusion.onnx);
  try {
    let simulator: Simulator;
    if (params.simulator === 'learned' && resolved.simulator!.kind === 'outcome') {
      simulator = new OutcomeSimulator(resolved.simulator!.id, readOutcomeModel(models, resolved.simulator!, env, project.settings), env, queries, onRecorded);
    } else if (params.simulator === 'learned') {
      runner = await LearnedRunner.fromModel(models, resolved.simulator!, ctx.compute().size);
      simulator = new LearnedSimulator(env, runner, queries, onRecorded);
    } else {
      simulator = new GroundTruthSimulator(project, ctx.compute(), queries, onRecorded);
    }
    if (params.energy.enabled) gradient = await loadLearnedEnergy(models, resolved.simulator!, env, project.settings);
    // an outcome model that guided or scored the run is refined on its ground-truth checks
    const refining = params.refine.enabled && resolved.simulator?.kind === 'outcome' && (params.energy.enabled || params.simulator === 'learned');

    // the best cost against cumulative queries of the scoring simulator; energy guidance's
    // learned evaluations are counted apart (their costs are the learned model's, not the scorer's)
    const curve: [number, number][] = [];
    let used = 0;
    let energyEvaluations = 0;
    let best = Number.POSITIVE_INFINITY;
    // progress moves with every chunk of queries, not only between particle rounds
    const expected = expectedQueries({ count: params.count, particles: params.particles });
    let stage = { fraction: 0, message: 'starting' };
    const report = (): void => {
      const fraction = samplingProgress(used, expected, stage.fraction);
      ctx.progress(refining ? 0.9 * fraction : fraction, `${stage.message} · queries ${used}/${expected}${energyEvaluations ? ` · energy evaluations ${energyEvaluations}` : ''}${Number.isFinite(best) ? ` · best ${best.toPrecision(4)}` : ''}`);
    };
    const counted = (costs: number[]): void => {
      used += costs.length;
      for (const c of costs) if (c < best) best = c;
      curve.push([used, best]);
      ctx.emit('run.progress', { projectId, jobId: ctx.jobId, queries: used, bestCost: best });
      report();
    };
    const scored: { design: Float32Array; cost: number; capture: number; queryId: number; phase: 'particles' | 'final' }[] = [];
    let finalOutcomes: { queryId: number; cost: number; capture: number }[] = [];

    const settings: SampleSettings = {
      count: params.count,
      sampler: params.sampler,
      ddimSteps: params.ddimSteps,
      eta: params.eta,
      conditional: params.conditional,
      condition: diffusion.file.denoiser.conditional ? normalizeCondition(diffusion.file.scale, task, costAtQuantile(diffusion.file.scale, params.conditional.costQuantile)) : null,
      energy: params.energy,
      particles: params.particles,
    };
    const rand = seededRandom(params.seed);
    const outcome = await sampleDesigns(
      {
        model: denoiser,
        schedule: diffusion.schedule,
        uniform: rand,
        normal: gaussian(rand),
        score: async (designs, phase) => {
          // in chunks that keep every worker busy: a cancel is noticed between them, and the curve grows as they land
          const chunk = Math.max(8, 4 * ctx.compute().size);
          const outcomes: QueryOutcome[] = [];
          for (let i = 0; i < designs.length; i += chunk) {
            ctx.throwIfCancelled();
            const part = await simulator.evaluate(designs.slice(i, i + chunk), task, { projectId, method, run });
            counted(part.map((o) => o.cost));
            part.forEach((o, k) => scored.push({ design: designs[i + k]!, cost: o.cost, capture: o.capture, queryId: o.queryId, phase }));
            outcomes.push(...part);
          }
          if (phase === 'final') finalOutcomes = outcomes;
          return outcomes.map((o) => o.cost);
        },
        energyGradient: gradient
          ? async (designs) => {
              ctx.throwIfCancelled();
              const evaluations = await gradient!.evaluate(designs, task);
              queries.record(evaluations.map((g, i) => ({ projectId, design: designs[i]!, task, simulator: 'learned' as const, modelId: resolved.simulator!.id, cost: g.cost, capture: g.capture, wallMs: g.wallMs, method, run })));
              onRecorded(projectId, evaluations.length);
              energyEvaluations += evaluations.length;
              return evaluations.map((g) => ({ cost: g.cost, gradient: g.gradient }));
            }
          : undefined,
        progress: (fraction, message) => {
          ctx.throwIfCancelled();
          stage = { fraction, message };
          report();
        },
      },
      settings,
    );

    const provenance = {
      jobId: ctx.jobId,
      diffusionModelId: resolved.diffusion.id,
      sampler: { sampler: params.sampler, ddimSteps: params.ddimSteps, eta: params.eta, count: params.count },
      conditional: params.conditional,
      energy: params.energy,
      particles: params.particles,
      seed: params.seed,
      simulator: params.simulator,
      simulatorModelId: resolved.simulator?.id ?? null,
      queries: used,
      energyEvaluations,
    };
    // the run's designs: the final ones, and the cheapest particle estimate when it beat them all,
    // so the run's best is the cheapest design it queried, whatever phase queried it
    const kept: { design: Float32Array; cost: number; capture: number; queryId: number; phase: 'particles' | 'final' }[] = outcome.designs.map((design, i) => ({ design, ...finalOutcomes[i]!, phase: 'final' }));
    const finalBest = Math.min(...kept.map((k) => k.cost));
    const particleBest = scored.filter((q) => q.phase === 'particles').reduce<(typeof scored)[number] | null>((b, q) => (!b || q.cost < b.cost ? q : b), null);
    if (particleBest && particleBest.cost < finalBest) kept.push(particleBest);
    const designIds = new DesignStore(db).insert(
      kept.map((k) => ({ projectId, method, run, design: k.design, task, cost: k.cost, capture: k.capture, modelId: resolved.diffusion.id, queryId: k.queryId, provenance: { ...provenance, phase: k.phase } })),
    );
    const stored: SampledDesign[] = kept.map((k, i) => ({ designId: designIds[i]!, queryId: k.queryId, design: Array.from(k.design), cost: k.cost, capture: k.capture, phase: k.phase }));
    stored.sort((a, b) => a.cost - b.cost);
    let refinement: RefinementResult | null = null;
    if (refining) {
      // scored on the ground truth: the run's queries are the checks; scored by the outcome model: check the best
      const onGroundTruth = params.simulator === 'ground_truth';
      refinement = await refineOnGroundTruth(ctx, {
        projectId,
        project,
        env,
        task,
        model: resolved.simulator!,
        refine: params.refine,
        method,
        run,
        checked: onGroundTruth ? scored : undefined,
        proposals: onGroundTruth ? undefined : scored.map((s) => ({ design: s.design, learnedCost: s.cost })),
        seed: params.seed,
        from: 0.9,
      });
    }
    // a ground-truth design the refinement found (a learned run's check, or the polish's best): kept with the run's designs
    const found = refinement?.best;
    if (found && !stored.some((d) => d.queryId === found.queryId)) {
      const phase = found.polished ? ('polished' as const) : found.stored ? ('stored' as const) : ('checked' as const);
      const [designId] = new DesignStore(db).insert([
        { projectId, method, run, design: Float32Array.from(found.design), task, cost: found.cost, capture: found.capture, modelId: resolved.diffusion.id, queryId: found.queryId, provenance: { ...provenance, simulator: 'ground_truth', phase, learnedCost: found.learnedCost, refine: params.refine, ...(found.stored ? { storedQueryId: found.queryId } : {}) } },
      ]);
      stored.push({ designId: designId!, queryId: found.queryId, design: found.design, cost: found.cost, capture: found.capture, phase });
      stored.sort((a, b) => a.cost - b.cost);
    }
    ctx.progress(1, `${stored.length} designs · queries ${used}${energyEvaluations ? ` · energy evaluations ${energyEvaluations}` : ''} · best ${stored[0]?.cost.toPrecision(4) ?? '–'}`);
    const result: SampleResult = { modelId: resolved.diffusion.id, simulatorModelId: resolved.simulator?.id ?? null, task: Array.from(task), curve, queries: used, energyEvaluations, refinement, designs: stored, best: stored[0] ?? null, run };
    return result;
  } finally {
    gradient?.dispose();
    await runner?.close();
    await denoiser.release();
  }
};

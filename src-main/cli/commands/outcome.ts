import type { CostFidelity } from '../../engine/outcome/fidelity';
import { asKind, jobResult } from '../../../src-shared/api';
import { call, findProject, intOption, numberList, numberOption, openWorkbench, print, program, runJob } from '../context';

interface OutcomeTrainOptions {
  project: string;
  generate?: number;
  stored: boolean;
  hidden?: number[];
  steps?: number;
  learningRate?: number;
  batchSize?: number;
  densityWeight?: number;
  seed?: number;
  name?: string;
  resume?: number;
  init?: number;
  onQueue?: boolean;
}

/** One line on a model's fidelity: within-task Spearman (mean, worst), best quarter, pick rank. */
export function describeFidelity(f: CostFidelity): string {
  return (
    `within-task Spearman ${f.spearmanMean.toFixed(3)} (worst task ${f.spearmanWorst.toFixed(3)}), best quarter ${f.bestQuarterMean.toFixed(3)}, ` +
    `model's pick at true rank ${f.pickRanks.join('/')} (worst ${f.pickRankWorst}) of ${f.designs}, capture error ${f.captureError.toFixed(3)}; ${f.designs} held-out designs x ${f.tasks} tasks`
  );
}

/** `idw outcome train`: the learned outcome model (the energy for Adam and energy guidance), as a job. */
export function registerOutcomeCommands(): void {
  const outcome = program.command('outcome').description('the learned outcome model: design -> final state summary, cost by exact algebra');
  outcome
    .command('train')
    .description("train an outcome model on the project's ground-truth queries (and new random rollouts); Ctrl+C stops it (resume with --resume)")
    .requiredOption('--project <project>', 'project id or name')
    .option('--generate <n>', 'new random ground-truth rollouts to make first (default 0)', intOption('--generate'))
    .option('--no-stored', "learn only from the rollouts this training makes, not the project's stored queries")
    .option('--hidden <widths>', 'hidden layer widths, comma-separated (default 128,128)', numberList('--hidden'))
    .option('--steps <n>', 'most training steps (default 6000)', intOption('--steps'))
    .option('--learning-rate <lr>', 'Adam learning rate (default 0.002)', numberOption('--learning-rate'))
    .option('--batch-size <n>', 'examples per step (default 128)', intOption('--batch-size'))
    .option('--density-weight <w>', 'loss weight of the density map against the cost entries (default 0.1)', numberOption('--density-weight'))
    .option('--seed <n>', 'seed', intOption('--seed'))
    .option('--name <name>', 'model name')
    .option('--resume <model>', 'continue an interrupted model from its checkpoint', intOption('--resume'))
    .option('--init <model>', "fine-tune: a new model that starts from this ready outcome model's weights", intOption('--init'))
    .option('--on-queue', 'train on a worker of the Redis queue (idw worker); here when no queue can be reached, saying so')
    .action((o: OutcomeTrainOptions) => {
      const wb = openWorkbench();
      return (async () => {
        const p = await findProject(wb, o.project);
        const params = Object.fromEntries(
          Object.entries({
            generate: o.generate,
            useStored: o.stored,
            hidden: o.hidden,
            steps: o.steps,
            learningRate: o.learningRate,
            batchSize: o.batchSize,
            densityWeight: o.densityWeight,
            seed: o.seed,
            name: o.name,
            resumeModelId: o.resume,
            initModelId: o.init,
            queue: o.onQueue,
          }).filter(([, v]) => v !== undefined),
        );
        const job = await call(wb, 'jobs.start', { kind: 'outcome.train', projectId: p.id, params });
        const done = await runJob(wb, job);
        const model = asKind(wb.models.get(jobResult(done, 'outcome.train').modelId), 'outcome');
        const m = model.metrics;
        print(
          `Outcome model ${model.id} "${model.name}" is ready: ${m.step} steps on ${m.examples?.train} designs, best validation loss ${m.bestValLoss?.toPrecision(4)}; ${m.fidelity ? describeFidelity(m.fidelity) : 'no fidelity'}`,
          model,
        );
      })().finally(() => wb.close());
    });
}

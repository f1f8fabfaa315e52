// Where a training job trains: on a worker of the Redis queue when asked and a queue answers,
// else here. Either way the same hooks keep the job's model current: each evaluation's
// checkpoint written, its curves published, progress reported with where it runs.
import { trainOnQueue, type TrainingOutcome, type TrainingRequest } from '../compute/training-queue';
import type { JobContext } from './job-context';
import type { ModelTraining, TrainingHooks, TrainingState } from './training-loop';
import { trainingMessage } from '../../../src-shared/models';

/** What the job publishes, kept current by the hooks: the state, an outcome model's cost loss, where it trains. */
export interface TrainingReport {
  state: TrainingState | null;
  costLoss: number | null;
  where: string;
}

export async function trainHereOrOnQueue(
  ctx: JobContext,
  request: TrainingRequest,
  job: {
    queue: boolean;
    training: ModelTraining;
    report: TrainingReport;
    publish(): void;
    /** the job's progress at step `step` of `steps` */
    progressAt(step: number): number;
    steps: number;
  },
  here: (hooks: TrainingHooks) => Promise<TrainingOutcome>,
): Promise<TrainingOutcome> {
  const { training, report } = job;
  const hooks: TrainingHooks = {
    throwIfCancelled: () => ctx.throwIfCancelled(),
    progress: (step, loss) => ctx.progress(job.progressAt(step), `${trainingMessage(step, job.steps, loss)}${report.where === 'here' ? '' : ` · on ${report.where}`}`),
    // still this job's model? then a checkpoint, and the curves published
    evaluated: (state, checkpoint, costLoss) => {
      report.state = state;
      report.costLoss = costLoss ?? null;
      training.models.assertTraining(training.model.id, ctx.jobId);
      training.saveCheckpoint(state, checkpoint);
      job.publish();
    },
  };
  const queued = job.queue
    ? await trainOnQueue(ctx, request, hooks, {
        started: (worker) => {
          report.where = `queue worker ${worker}`;
          job.publish();
        },
        local: (reason) => ctx.progress(job.progressAt(0), `${reason}: training here instead`),
      })
    : null;
  const outcome = queued ?? (await here(hooks));
  report.state = outcome.state;
  report.costLoss = outcome.costLoss;
  return outcome;
}

import { createEnvironment, type Environment } from '../environments';
import { ModelStore } from '../models/store';
import type { Db } from '../storage/database';
import type { ProjectSummary } from '../../../src-shared/api';
import { ProjectStore } from '../storage/projects';
import { ApiError } from '../../../src-shared/errors';
import type { JobCheckContext, JobContext } from './job-context';

/** What a job on one task of a project opens first: its database, project, environment, task and models. */
export interface ProjectTaskContext {
  projectId: number;
  db: Db;
  project: ProjectSummary;
  env: Environment;
  /** the requested task, checked, else the centre of the task range */
  task: Float32Array;
  models: ModelStore;
}

/** `what` names the job's work in the error when it was started without a project. */
export function openProjectTask(ctx: JobContext, task: number[] | undefined, what: string): ProjectTaskContext {
  if (ctx.projectId === null) throw new Error(`${what} belongs to a project: start the job with a projectId.`);
  const projectId = ctx.projectId;
  const db = ctx.database();
  const project = new ProjectStore(db).get(projectId);
  const env = createEnvironment(project.environment, project.settings);
  return { projectId, db, project, env, task: task ? env.checkTask(task, 'params.task') : env.defaultTask(), models: new ModelStore(db, ctx.dataDir) };
}

/**
 * What a job kind's check reads when the job starts in a worker. A model this process or another
 * trains is refused by its status alone: the job cannot tell a live owner from one that is gone.
 */
export function jobCheckContext(ctx: JobContext): JobCheckContext {
  if (ctx.projectId === null) throw new Error('This job works on a project: start it with a projectId.');
  const db = ctx.database();
  const project = new ProjectStore(db).get(ctx.projectId);
  return {
    db,
    project,
    env: createEnvironment(project.environment, project.settings),
    models: new ModelStore(db, ctx.dataDir),
    checkNotTraining: (model) => {
      if (model.status === 'training') throw new ApiError('conflict', `Model "${model.name}" is already training.`);
    },
  };
}

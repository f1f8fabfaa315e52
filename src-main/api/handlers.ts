import { JobParams, type MethodArgs, type MethodName, type MethodResult } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import { issuesFromZod } from '../engine/validation';
import type { Workbench } from '../engine/workbench';

export type Handlers = { [M in MethodName]: (args: MethodArgs<M>) => MethodResult<M> | Promise<MethodResult<M>> };

/** The API implemented once over the engine; IPC and browser mode both call these. */
export function createHandlers(wb: Workbench): Handlers {
  return {
    'app.ping': () => ({ time: Date.now() }),
    'app.capabilities': () => wb.capabilities(),

    'projects.list': () => wb.projects.list(),
    'projects.get': ({ id }) => wb.projects.get(id),
    'projects.create': ({ name, environment, settings }) => {
      const project = wb.projects.create({ name, environment, settings });
      wb.events.emit('projects.changed', { projectId: project.id });
      return project;
    },
    'projects.rename': ({ id, name }) => {
      const project = wb.projects.rename(id, name);
      wb.events.emit('projects.changed', { projectId: id });
      return project;
    },
    'projects.delete': async ({ id }) => {
      await wb.deleteProject(id);
      return { id, deleted: true };
    },

    'jobs.list': ({ projectId, limit }) => wb.jobStore.list({ projectId, limit }),
    'jobs.start': ({ kind, projectId, params }) => {
      const parsed = JobParams[kind].safeParse(params);
      if (!parsed.success) {
        const issues = issuesFromZod(parsed.error, ['params']);
        throw new ApiError('invalid_argument', `Invalid parameters for a ${kind} job: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
      }
      if (projectId !== undefined) wb.projects.get(projectId);
      return wb.jobs.start(kind, parsed.data, projectId ?? null);
    },
    'jobs.cancel': ({ id }) => wb.jobs.cancel(id),
  };
}

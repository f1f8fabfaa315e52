import { z } from 'zod';
import './messages';
import { EnvironmentId, FluidTool2DSettings, TaskRange, type DesignSpace, type TaskSpace } from './environments';

// The one declaration of the workbench API. Main implements it (src-main/api/handlers.ts),
// the preload and the browser-mode server only forward it, the renderer and tests call it
// through a typed client. Every input is checked against these schemas at the boundary.

const Id = z.number().int('must be an integer').positive('must be a positive id');
/** A project's name: what the create and rename dialogs and the CLI all check. */
export const ProjectName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 32), 'must not contain control characters');

export const JobKind = z.enum(['selfcheck']);
export type JobKind = z.infer<typeof JobKind>;
export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type JobStatus = z.infer<typeof JobStatus>;
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['queued', 'running'];

/** Parameters of each job kind, validated before a job row is written. */
export const JobParams = {
  selfcheck: z
    .object({
      /** size of the square matrix multiplied to time the TF.js backend */
      matmulSize: z.number().int().min(8).max(2048).default(256),
      repeats: z.number().int().min(1).max(200).default(20),
    })
    .strict(),
} satisfies Record<JobKind, z.ZodType>;

export const methods = {
  'app.ping': z.object({}).strict(),
  'app.capabilities': z.object({}).strict(),
  'projects.list': z.object({}).strict(),
  'projects.get': z.object({ id: Id }).strict(),
  'projects.create': z
    .object({
      name: ProjectName,
      environment: EnvironmentId.default('fluidtool-2d'),
      /** missing fields take the environment's defaults */
      settings: FluidTool2DSettings.partial().extend({ taskRange: TaskRange.optional() }).strict().default({}),
    })
    .strict(),
  'projects.rename': z.object({ id: Id, name: ProjectName }).strict(),
  'projects.delete': z.object({ id: Id }).strict(),
  'jobs.list': z
    .object({
      projectId: Id.optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    })
    .strict(),
  'jobs.start': z
    .object({
      kind: JobKind,
      projectId: Id.optional(),
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  'jobs.cancel': z.object({ id: Id }).strict(),
} as const;

export type MethodName = keyof typeof methods;
export type MethodInput<M extends MethodName> = z.input<(typeof methods)[M]>;
export type MethodArgs<M extends MethodName> = z.output<(typeof methods)[M]>;

export interface ProjectSummary {
  id: number;
  name: string;
  environment: EnvironmentId;
  settings: FluidTool2DSettings;
  designSpace: DesignSpace;
  taskSpace: TaskSpace;
  createdAt: number;
  updatedAt: number;
  /** lowest cost of any simulator query of this project; null before the first query */
  bestCost: number | null;
  queryCount: number;
  datasetCount: number;
  modelCount: number;
  designCount: number;
}

export interface JobInfo {
  id: number;
  projectId: number | null;
  kind: JobKind;
  params: Record<string, unknown>;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string | null;
  error: string | null;
  result: unknown;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface ComponentStatus {
  available: boolean;
  version: string | null;
  /** one plain sentence: what is there, or why not and what to do */
  detail: string;
}

export interface Capabilities {
  app: { name: string; version: string; mode: 'electron' | 'browser' | 'cli' };
  electron: ComponentStatus;
  tfjs: ComponentStatus & { backend: 'tensorflow' | 'wasm' | null };
  onnxruntime: ComponentStatus & { executionProviders: string[] };
  sqlite: ComponentStatus & { betterSqlite3: string | null; binding: 'node' | 'electron' };
  node: string;
  platform: string;
  cpus: number;
  workers: number;
  dataDir: string;
  databasePath: string;
  schemaVersion: number;
}

export interface MethodResults {
  'app.ping': { time: number };
  'app.capabilities': Capabilities;
  'projects.list': ProjectSummary[];
  'projects.get': ProjectSummary;
  'projects.create': ProjectSummary;
  'projects.rename': ProjectSummary;
  'projects.delete': { id: number; deleted: true };
  'jobs.list': JobInfo[];
  'jobs.start': JobInfo;
  'jobs.cancel': JobInfo;
}
export type MethodResult<M extends MethodName> = MethodResults[M];

export interface ApiEvents {
  /** a job changed: status, progress or message */
  'job.updated': JobInfo;
  /** projects were created, renamed, deleted or their contents changed */
  'projects.changed': { projectId: number | null };
}
export type EventName = keyof ApiEvents;
export const EVENT_NAMES: readonly EventName[] = ['job.updated', 'projects.changed'];

export { IPC_INVOKE, IPC_EVENT, API_PATH, WS_PATH, TOKEN_HEADER, TOKEN_COOKIE } from './channels';

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

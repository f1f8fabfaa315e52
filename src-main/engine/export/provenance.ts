// Where an exported design came from: the job that made it, the diffusion model and the learned
// model it used, the sampler's or optimizer's settings, the seed, and the phase of the run. Read
// from the job's stored parameters and result when the job row is still there, else from the
// provenance the kept design carries (designs outlive the job list), else from the query alone.
import type { JobInfo } from '../../../src-shared/api';
import { samplingMethod } from '../../../src-shared/sampling';
import type { Db } from '../storage/database';
import { firstDesignOfJob } from '../storage/design-export';
import { JobStore } from '../storage/jobs';

export interface DesignProvenance {
  jobId: number | null;
  /** the kind of that job: sample, optimize, dataset.optimization, outcome.train */
  jobKind: string | null;
  diffusionModelId: number | null;
  /** the learned model the run used: energy guidance's or the scorer (sampling), Adam's or the scorer (optimizers) */
  learnedModelId: number | null;
  /** the sampler's settings (sampling) or the optimizer's (optimizers) */
  settings: Record<string, unknown> | null;
  seed: number | null;
  /** 'final' or 'particles' for a sampling run's designs */
  phase: string | null;
}

/** What a row to export knows about itself. */
export interface ProvenanceInput {
  projectId: number;
  method: string;
  run: string | null;
  /** the learned model that scored the query, when it was learned */
  modelId: number | null;
  /** a kept design's provenance JSON and model (the designs table), when there is one */
  design: { provenance: Record<string, unknown>; modelId: number | null } | null;
}

const KINDS_WITH_RUNS = new Set(['sample', 'optimize', 'dataset.optimization', 'outcome.train']);

/**
 * The job a run name belongs to, by the names the job kinds give their runs: `<method>-<job>`
 * (sample, optimize), `<optimizer>-<job>-restart-<k>` (Adam restarts), `<optimizer>-<job>-<r>`
 * and `<optimizer>-<job>-<r>-restart-<k>` (dataset.optimization), `outcome-data-<job>` (outcome.train). Null when the run is none of
 * these or the job is not the project's.
 */
export function jobOfRun(jobs: (id: number) => JobInfo | null, projectId: number, method: string, run: string | null): JobInfo | null {
  if (!run) return null;
  const m = /^(.*?)-(\d+)(-\d+)?(-restart-\d+)?$/.exec(run);
  if (!m) return null;
  const job = jobs(Number(m[2]));
  if (!job || job.projectId !== projectId || !KINDS_WITH_RUNS.has(job.kind)) return null;
  const [, prefix, , runNumber, restart] = m;
  // and the job ran that method: its sampler, its optimizer, one of its optimizers
  const p = obj(job.params);
  const ok =
    job.kind === 'sample'
      ? prefix === method && !runNumber && !restart && samplingMethod(p as Parameters<typeof samplingMethod>[0]) === method
      : job.kind === 'optimize'
        ? prefix === method && !runNumber && p.optimizer === method
        : job.kind === 'dataset.optimization'
          ? prefix === method && !!runNumber && Array.isArray(p.optimizers) && p.optimizers.includes(method)
          : prefix === 'outcome-data' && !runNumber && !restart;
  return ok ? job : null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** The settings a job ran with, as they bear on its designs. */
function jobSettings(job: JobInfo): Record<string, unknown> | null {
  const p = obj(job.params);
  // a guidance that was off is said in one entry, not with its unused settings
  const part = (v: unknown): unknown => (obj(v).enabled === true ? v : { enabled: false });
  if (job.kind === 'sample') return { sampler: p.sampler, ddimSteps: p.ddimSteps, eta: p.eta, count: p.count, simulator: p.simulator, conditional: part(p.conditional), energy: part(p.energy), particles: part(p.particles) };
  if (job.kind === 'optimize') {
    const optimizer = p.optimizer as string;
    return { optimizer, budget: p.budget, simulator: p.simulator, ...(optimizer === 'adam' || optimizer === 'cem' || optimizer === 'cmaes' ? { [optimizer]: p[optimizer] } : {}) };
  }
  if (job.kind === 'dataset.optimization') return { optimizers: p.optimizers, runs: p.runs, budget: p.budget, simulator: p.simulator, ...(p.cem ? { cem: p.cem } : {}) };
  if (job.kind === 'outcome.train') return { generate: p.generate };
  return null;
}

/** Settings a kept design's provenance names (when its job row is gone). */
function designSettings(prov: Record<string, unknown>): Record<string, unknown> | null {
  if (prov.sampler !== undefined) return { ...obj(prov.sampler), simulator: prov.simulator, conditional: prov.conditional, energy: prov.energy, particles: prov.particles };
  if (prov.settings !== undefined) return { budget: prov.budget, simulator: prov.simulator, settings: prov.settings };
  return null;
}

/** Resolves provenance for many rows, reading each job once. */
export class ProvenanceResolver {
  private readonly jobs = new Map<number, JobInfo | null>();
  private readonly jobModels = new Map<number, number | null>();
  private readonly store: JobStore;

  constructor(private readonly db: Db) {
    this.store = new JobStore(db);
  }

  private job = (id: number): JobInfo | null => {
    if (!this.jobs.has(id)) this.jobs.set(id, this.store.find(id));
    return this.jobs.get(id)!;
  };

  /** the learned model an optimizer job used: its explicit modelId, else the model its kept design names */
  private optimizerModel(job: JobInfo): number | null {
    const explicit = num(obj(job.params).modelId);
    if (explicit !== null) return explicit;
    if (!this.jobModels.has(job.id)) this.jobModels.set(job.id, firstDesignOfJob(this.db, job.projectId!, job.id)?.model_id ?? null);
    return this.jobModels.get(job.id)!;
  }

  resolve(row: ProvenanceInput): DesignProvenance {
    const prov = row.design?.provenance ?? null;
    const fromDesign = prov ? num(prov.jobId) : null;
    const job = fromDesign !== null ? this.job(fromDesign) : jobOfRun(this.job, row.projectId, row.method, row.run);
    const out: DesignProvenance = { jobId: job?.id ?? fromDesign, jobKind: job?.kind ?? null, diffusionModelId: null, learnedModelId: row.modelId, settings: null, seed: null, phase: typeof prov?.phase === 'string' ? prov.phase : null };
    if (job) {
      const p = obj(job.params);
      const r = obj(job.result);
      out.settings = jobSettings(job);
      out.seed = num(p.seed);
      if (job.kind === 'sample') {
        out.diffusionModelId = num(r.modelId) ?? num(p.modelId) ?? (row.design ? row.design.modelId : null);
        out.learnedModelId ??= num(r.simulatorModelId) ?? num(p.simulatorModelId);
      } else if (job.kind === 'optimize' || job.kind === 'dataset.optimization') {
        out.learnedModelId ??= job.kind === 'optimize' ? this.optimizerModel(job) : num(p.modelId);
      }
    } else if (prov) {
      out.settings = designSettings(prov);
      out.seed = num(prov.seed);
      out.diffusionModelId = num(prov.diffusionModelId);
      out.learnedModelId ??= num(prov.simulatorModelId) ?? (out.diffusionModelId === null ? (row.design?.modelId ?? null) : null);
    }
    return out;
  }
}

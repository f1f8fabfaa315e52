import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelInfo } from '../../../src-shared/api';
import type { FluidTool2DSettings } from '../../../src-shared/environments';
import type { OptimizationDatasets, OptimizationRecord } from '../datasets/trajectories';
import { OUTCOME_MODEL_FILES, physicsSettings } from '../outcome/model-file';
import type { ModelStore } from './store';

// The default learned simulator for the built-in FluidTool-2D settings, made by
// `npm run train:default` and shipped in resources/, so a new user can use it at once.

const DEFAULT_MODEL_FOLDER = 'fluidtool2d-default';
export const DEFAULT_MODEL_DIR = `resources/models/${DEFAULT_MODEL_FOLDER}`;
export const DEFAULT_MODEL_FILES = ['model.onnx', 'model.json', 'weights.bin'] as const;

export interface DefaultModelManifest {
  name: string;
  environment: 'fluidtool-2d';
  /** the environment settings it was trained for: only projects with these use it */
  settings: FluidTool2DSettings;
  config: ModelInfo['config'];
  metrics: ModelInfo['metrics'];
  trainedAt: string;
  command: string;
  wallSeconds: number;
}

/**
 * resources/ next to the code: the repo root in development and above the built out/main. A
 * shell that knows better (the packaged desktop app) passes its own folder to the Workbench.
 */
export function resourcesDir(): string | null {
  const here = dirname(typeof __filename !== 'undefined' ? __filename : fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', '..', '..', 'resources'), join(here, '..', '..', 'resources'), join(here, '..', 'resources')];
  return candidates.find((d) => existsSync(join(d, 'models'))) ?? null;
}

/** The shipped default learned outcome model (npm run train:default:outcome). */
const DEFAULT_OUTCOME_FOLDER = 'fluidtool2d-outcome';
export const DEFAULT_OUTCOME_DIR = `resources/models/${DEFAULT_OUTCOME_FOLDER}`;

/** The shipped default diffusion model and the optimization dataset it was trained on. */
const DEFAULT_DIFFUSION_FOLDER = 'fluidtool2d-diffusion';
export const DEFAULT_DIFFUSION_DIR = `resources/models/${DEFAULT_DIFFUSION_FOLDER}`;
export const DEFAULT_DIFFUSION_FILES = ['model.onnx', 'model.json', 'weights.bin'] as const;
const DEFAULT_TRAJECTORIES_NAME = 'fluidtool2d-default-trajectories.json';
export const DEFAULT_TRAJECTORIES_FILE = `resources/datasets/${DEFAULT_TRAJECTORIES_NAME}`;

export function defaultModelManifest(folder = DEFAULT_MODEL_FOLDER, res: string | null = resourcesDir()): { dir: string; manifest: DefaultModelManifest } | null {
  if (!res) return null;
  const dir = join(res, 'models', folder);
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) return null;
  return { dir, manifest: JSON.parse(readFileSync(file, 'utf8')) as DefaultModelManifest };
}

function sameSettings(a: FluidTool2DSettings, b: FluidTool2DSettings): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}

/** A shipped model's row and files in a project: its manifest's config (marked shipped) and metrics. */
function installShipped(models: ModelStore, found: { dir: string; manifest: DefaultModelManifest }, projectId: number, kind: ModelInfo['kind'], files: readonly string[], datasetId: number | null = null): ModelInfo {
  const m = found.manifest;
  const model = models.create({ projectId, kind, name: m.name, config: { ...m.config, shipped: true, trainedAt: m.trainedAt, command: m.command }, datasetId, jobId: null, status: 'ready' });
  const dir = models.dir(model);
  mkdirSync(dir, { recursive: true });
  for (const f of files) copyFileSync(join(found.dir, f), join(dir, f));
  return models.update(model.id, { metrics: m.metrics, files: [...files] });
}

/** Adds the shipped default model to a project whose settings it was trained for; null otherwise. */
export function installDefaultModel(models: ModelStore, project: { id: number; settings: FluidTool2DSettings }, res: string | null = resourcesDir()): ModelInfo | null {
  const found = defaultModelManifest(DEFAULT_MODEL_FOLDER, res);
  if (!found || !sameSettings(found.manifest.settings, project.settings)) return null;
  return installShipped(models, found, project.id, 'simulator', DEFAULT_MODEL_FILES);
}

/**
 * Adds the shipped default outcome model to a project whose physics it was trained for (the
 * task range and target radius do not change a rollout, so they may differ); null otherwise.
 */
export function installDefaultOutcome(models: ModelStore, project: { id: number; settings: FluidTool2DSettings }, res: string | null = resourcesDir()): ModelInfo | null {
  const found = defaultModelManifest(DEFAULT_OUTCOME_FOLDER, res);
  if (!found || JSON.stringify(physicsSettings(found.manifest.settings)) !== JSON.stringify(physicsSettings(project.settings))) return null;
  return installShipped(models, found, project.id, 'outcome', OUTCOME_MODEL_FILES);
}

/**
 * Adds the shipped default optimization dataset and diffusion model to a project whose settings
 * they were made for, so the built-in project can sample at once; null when there are none.
 */
export function installDefaultDiffusion(
  models: ModelStore,
  datasets: OptimizationDatasets,
  project: { id: number; settings: FluidTool2DSettings },
  res: string | null = resourcesDir(),
): { datasetId: number | null; model: ModelInfo | null } | null {
  const found = defaultModelManifest(DEFAULT_DIFFUSION_FOLDER, res);
  if (!found || !sameSettings(found.manifest.settings, project.settings)) return null;
  let datasetId: number | null = null;
  const trajectories = res ? join(res, 'datasets', DEFAULT_TRAJECTORIES_NAME) : null;
  if (trajectories && existsSync(trajectories)) {
    const records = JSON.parse(readFileSync(trajectories, 'utf8')) as OptimizationRecord[];
    const ds = datasets.create(project.id, 'Default trajectories (CEM, shipped)', `shipped:${DEFAULT_TRAJECTORIES_NAME}`, null);
    datasets.append(ds.id, records);
    datasetId = datasets.finish(ds.id, 'ready').id;
  }
  return { datasetId, model: installShipped(models, found, project.id, 'diffusion', DEFAULT_DIFFUSION_FILES, datasetId) };
}

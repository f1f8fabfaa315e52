import { defineStore } from 'pinia';
import { computed, ref, type Ref } from 'vue';
import { JobParams, isKind, type JobInfo, type ModelInfo, type ModelOfKind } from '@shared/api';
import { ApiError } from '@shared/errors';
import type { z } from 'zod';
import { useConnection } from '../api/connection';
import { useLatestLoad } from '../composables/useLatestLoad';
import { base64ToBytes } from '../base64';
import { simulatorConfig, simulatorMetrics } from '../simulatorModel';
import { diffusionConfig, diffusionMetrics } from '../diffusionModel';
import { outcomeConfig, outcomeMetrics } from '../outcomeModel';
import { resumeBudget } from '../modelTraining';
import { useJobsStore } from './jobs';

export type GnsTrainParams = z.input<(typeof JobParams)['gns.train']>;
export type DiffusionTrainParams = z.input<(typeof JobParams)['diffusion.train']>;
export type OutcomeTrainParams = z.input<(typeof JobParams)['outcome.train']>;

type TrainKind = 'gns.train' | 'outcome.train' | 'diffusion.train';
type TrainParams<J extends TrainKind> = z.input<(typeof JobParams)[J]>;

/** What sets the model stores apart: the kind of model listed and the job that trains one. */
interface ModelKind<K extends ModelInfo['kind'], J extends TrainKind> {
  kind: K;
  trainJob: J;
  /** the parameters that continue an interrupted model from its last checkpoint */
  resumeParams(model: ModelOfKind<K>): TrainParams<J>;
}

/** the server's order for models.list: newest first */
function newestFirst(a: { id: number }, b: { id: number }): number {
  return b.id - a.id;
}

/** of two copies of a model, the one written last (a reply may overtake a later event's) */
function newer<M extends ModelInfo>(known: M | undefined, incoming: M): M {
  return known && known.updatedAt > incoming.updatedAt ? known : incoming;
}

/**
 * One project's models of one kind, live: `models.changed` comes at every training evaluation,
 * and then only that model is fetched again (with its curves). Training runs as a job.
 */
function modelStore<K extends ModelInfo['kind'], J extends TrainKind>(spec: ModelKind<K, J>) {
  return () => {
    const { client, onResync } = useConnection();
    const jobs = useJobsStore();
    const projectId = ref<number | null>(null);
    const models = ref([]) as Ref<ModelOfKind<K>[]>;
    const { loaded, loading, loadError, load, reset } = useLatestLoad();

    const ready = computed(() => models.value.filter((m) => m.status === 'ready'));

    async function refresh(): Promise<void> {
      const id = projectId.value;
      if (id === null) return;
      await load(
        () => client.call('models.list', { projectId: id, kind: spec.kind }),
        (list) => {
          const byId = new Map(models.value.map((m) => [m.id, m]));
          models.value = list
            .filter((m): m is ModelOfKind<K> => isKind(m, spec.kind))
            .map((m) => newer(byId.get(m.id), m))
            .sort(newestFirst);
        },
      );
    }

    function show(id: number): Promise<void> {
      if (projectId.value !== id) {
        projectId.value = id;
        models.value = [];
        reset();
      }
      return refresh();
    }

    function upsert(model: ModelInfo): void {
      if (model.projectId !== projectId.value || !isKind(model, spec.kind)) return;
      const known = models.value.find((m) => m.id === model.id);
      models.value = [newer(known, model), ...models.value.filter((m) => m.id !== model.id)].sort(newestFirst);
    }

    function forget(id: number): void {
      models.value = models.value.filter((m) => m.id !== id);
    }

    /** ids this window is deleting: their last event needs no fetch */
    const removing = new Set<number>();

    /**
     * One model changed (a training evaluation, a status, a delete): a known one is fetched alone,
     * with its curves; an unknown one (new, of the other kind, or gone already) is found by listing them again.
     */
    async function reload(id: number): Promise<void> {
      if (removing.has(id)) return;
      if (!models.value.some((m) => m.id === id)) return refresh();
      try {
        upsert(await client.call('models.get', { id }));
      } catch (error) {
        if (error instanceof ApiError && error.code === 'not_found') forget(id);
        else void refresh();
      }
    }

    /** Starts the training job; the model appears, "training", once the job has created it. */
    function train(project: number, params: TrainParams<J>): Promise<JobInfo> {
      return jobs.start({ kind: spec.trainJob, projectId: project, params });
    }

    /** Continues an interrupted model from its last checkpoint. */
    function resume(model: ModelOfKind<K>): Promise<JobInfo> {
      return jobs.start({ kind: spec.trainJob, projectId: model.projectId, params: spec.resumeParams(model) });
    }

    async function remove(id: number): Promise<void> {
      removing.add(id);
      try {
        await client.call('models.delete', { id });
        forget(id);
      } finally {
        removing.delete(id);
      }
    }

    async function exportOnnx(id: number): Promise<{ fileName: string; bytes: Uint8Array }> {
      const { fileName, onnxBase64 } = await client.call('models.exportOnnx', { id });
      return { fileName, bytes: base64ToBytes(onnxBase64) };
    }

    client.on('models.changed', (event) => {
      if (event.projectId === projectId.value) void reload(event.modelId);
    });
    onResync(() => void refresh());

    return { projectId, models, ready, loaded, loading, loadError, show, refresh, train, resume, remove, exportOnnx };
  };
}

/** The project's learned simulators (GNS). */
export const useModelsStore = defineStore(
  'models',
  modelStore({
    kind: 'simulator',
    trainJob: 'gns.train',
    // The server keeps the model's own parameters but takes the larger of the step budgets, so
    // the model's budget is sent: left out, the schema's default would stand in for it.
    resumeParams(model) {
      const config = simulatorConfig(model);
      const budget = resumeBudget(config.steps, simulatorMetrics(model).steps);
      const params: GnsTrainParams = { datasetIds: config.datasetIds, resumeModelId: model.id };
      if (budget !== null) params.steps = budget;
      return params;
    },
  }),
);

/** The project's learned outcome models (design → final outcome; the default energy for Adam and energy guidance). */
export const useOutcomeModelsStore = defineStore(
  'outcomeModels',
  modelStore({
    kind: 'outcome',
    trainJob: 'outcome.train',
    // the server keeps the model's own parameters and data, and takes the larger of the step budgets
    resumeParams(model) {
      const budget = resumeBudget(outcomeConfig(model).steps, outcomeMetrics(model).steps);
      const params: OutcomeTrainParams = { resumeModelId: model.id };
      if (budget !== null) params.steps = budget;
      return params;
    },
  }),
);

/** The project's diffusion priors over designs. */
export const useDiffusionModelsStore = defineStore(
  'diffusionModels',
  modelStore({
    kind: 'diffusion',
    trainJob: 'diffusion.train',
    // the parameters it was started with, so a server that reads the request sees the same
    // training; only the name is left to the model
    resumeParams(model) {
      const config = diffusionConfig(model);
      const { name: _name, resumeModelId: _resume, ...training } = config.training;
      const budget = resumeBudget(config.steps, diffusionMetrics(model).steps);
      const stored = JobParams['diffusion.train'].safeParse({ ...training, datasetIds: config.datasetIds, resumeModelId: model.id });
      const params: DiffusionTrainParams = stored.success ? stored.data : { datasetIds: config.datasetIds, resumeModelId: model.id };
      if (budget !== null) params.steps = budget;
      return params;
    },
  }),
);

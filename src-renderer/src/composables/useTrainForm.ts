import { computed, reactive, ref, watch } from 'vue';
import type { z } from 'zod';
import type { DatasetInfo, JobInfo } from '@shared/api';
import { fieldNumber, useSchemaForm } from './useSchemaForm';

/** a dataset still being generated cannot be trained on */
export function trainable(dataset: DatasetInfo): boolean {
  return dataset.status !== 'building';
}

/** "10 – 1,000,000", "0.00001 – 0.01": a number's bounds in a job's schema */
export function schemaBounds(rule: { minValue: number | null; maxValue: number | null }): string {
  const show = (v: number | null): string => (v === null ? '?' : Number.isInteger(v) ? v.toLocaleString('en') : String(v));
  return `${show(rule.minValue)} – ${show(rule.maxValue)}`;
}

/** The number settings a job's parameters always have (those with a default): its dialog's setting keys. */
export type NumberKey<T> = { [K in keyof T]-?: undefined extends T[K] ? never : T[K] extends number ? K & string : never }[keyof T];

/** One number setting of a train dialog. */
export interface SettingField<K extends string> {
  key: K;
  label: string;
  /** what it means, after the bounds */
  about: string;
  /** shown only while this holds */
  when?: () => boolean;
}

type OptimisationKey = 'learningRate' | 'batchSize' | 'steps' | 'evalEvery' | 'patience';

/** The optimisation settings every training has: Adam's learning rate, the batch (of what: `batchAbout`), the step budget, the evaluations and the patience. */
export function optimisationFields(batchAbout: string): SettingField<OptimisationKey>[] {
  return [
    { key: 'learningRate', label: 'Learning rate', about: 'Adam' },
    { key: 'batchSize', label: 'Batch size', about: batchAbout },
    { key: 'steps', label: 'Steps', about: 'at most; may stop early' },
    { key: 'evalEvery', label: 'Evaluate every', about: 'steps per curve point' },
    { key: 'patience', label: 'Patience', about: 'evaluations without gain' },
  ];
}

/** What a train dialog's form is made of: see useTrainForm. */
export interface TrainFormSpec<K extends string> {
  keys: readonly K[];
  /** a key without a default is an optional setting: left empty, it is not sent */
  defaults: Partial<Record<K, number>>;
  /** the datasets to choose from; absent: the job takes no datasetIds */
  datasets?: () => readonly DatasetInfo[];
  datasetKind?: string;
  request: (numbers: (keys: readonly K[]) => Record<string, number>) => Record<string, unknown>;
  /** the dialog's own choices, whose change clears the server's messages too */
  choices?: () => unknown;
  /** other paths whose messages the dialog shows next to its own fields */
  fields?: readonly string[];
}

/**
 * What a train dialog's form holds, checked against its job's schema as it is typed: an optional
 * name, the datasets chosen (those still being generated left out; none for a job that learns
 * from no dataset: `datasets` left out), and the number settings as text, from the schema's
 * defaults. `request` adds the dialog's own choices and the numbers it sends; `datasetKind` names
 * the datasets when none is chosen. The datasets' message is the schema's or the server's about
 * one of them; the others' go below the form.
 */
export function useTrainForm<S extends z.ZodType, K extends string>(
  schema: S,
  spec: TrainFormSpec<K>,
) {
  const name = ref('');
  const chosen = ref<number[]>([]);
  const defaultTexts = (): Record<K, string> => Object.fromEntries(spec.keys.map((k) => [k, String(spec.defaults[k] ?? '')])) as Record<K, string>;
  const texts = reactive(defaultTexts()) as Record<K, string>;
  const sent = (k: K): boolean => spec.defaults[k] !== undefined || texts[k].trim() !== '';
  const numbers = (keys: readonly K[]): Record<string, number> => Object.fromEntries(keys.filter(sent).map((k) => [k, fieldNumber(texts[k])]));

  const form = useSchemaForm(
    schema,
    () => {
      const datasets = spec.datasets;
      return {
        name: name.value.trim() === '' ? undefined : name.value,
        ...(datasets ? { datasetIds: chosen.value.filter((id) => datasets().some((d) => d.id === id && trainable(d))) } : {}),
        ...spec.request(numbers),
      };
    },
    () => ['name', ...(spec.datasets ? ['datasetIds'] : []), ...spec.keys, ...(spec.fields ?? [])],
    (messages) => {
      // "too small" on the list reads better in words
      if (messages.datasetIds) messages.datasetIds = `choose at least one ${spec.datasetKind ?? ''} dataset`.replace('  ', ' ');
      return messages;
    },
  );
  const { messageFor, formMessages, serverMessages } = form;

  const datasetMessage = computed(() => {
    const own = messageFor('datasetIds');
    if (own) return own;
    const item = Object.entries(serverMessages.value).find(([path]) => path.startsWith('params.datasetIds.'));
    return item?.[1];
  });

  /** an opening starts afresh: no name, the default settings, these datasets chosen */
  function reset(datasetIds: number[] = []): void {
    name.value = '';
    Object.assign(texts, defaultTexts());
    chosen.value = datasetIds;
    serverMessages.value = {};
  }

  watch([name, chosen, texts, spec.choices ?? (() => null)], () => (serverMessages.value = {}), { deep: true });

  return {
    ...form,
    name,
    chosen,
    texts,
    datasetMessage,
    formMessages: computed(() => formMessages.value.filter((m) => !m.startsWith('params.datasetIds.'))),
    reset,
  };
}

/**
 * A train dialog's form (`useTrainForm`) with what each kind's dialog does alike: `onOpen` resets
 * the form at every opening; `start` sends the request with `train` and hands its job to
 * `started`; `frame` binds the form's state to the TrainDialog frame; `fromParams` is a figure of
 * the valid parameters (an estimate), null while they are not.
 */
export function useTrainDialog<S extends z.ZodType, K extends string>(
  schema: S,
  spec: TrainFormSpec<K> & {
    open: () => boolean;
    onOpen: (reset: (datasetIds?: number[]) => void) => void;
    train: (params: z.output<S>) => Promise<JobInfo>;
    started: (job: JobInfo) => void;
  },
) {
  const form = useTrainForm(schema, spec);
  watch(spec.open, (open) => {
    if (open) spec.onOpen(form.reset);
  });
  const start = (): Promise<void> => form.submit(async (params) => spec.started(await spec.train(params)));
  const frame = computed(() => ({
    valid: form.parsed.value.success,
    starting: form.starting.value,
    messages: form.formMessages.value,
    nameError: form.messageFor('name'),
  }));
  const fromParams = <T>(figure: (params: z.output<S>) => T) =>
    computed(() => {
      const parsed = form.parsed.value as z.ZodSafeParseResult<z.output<S>>;
      return parsed.success ? figure(parsed.data) : null;
    });
  return { ...form, start, frame, fromParams };
}

/** The ready models of a kind a training can start from (fine-tuning), the one chosen, and the hint that says what the new model keeps of its `network`. */
export function useStartFrom<M extends { id: number; status: string; files: string[] }>(models: () => readonly M[], network: (model: M) => string) {
  const startFrom = ref<number | null>(null);
  const readyModels = computed(() => models().filter((m) => m.status === 'ready' && m.files.includes('weights.bin')));
  const startModel = computed(() => readyModels.value.find((m) => m.id === startFrom.value) ?? null);
  const startHint = computed(() =>
    startModel.value ? `a new model from its weights and normalization; its network stays: ${network(startModel.value)}` : 'random initial weights',
  );
  return { startFrom, readyModels, startModel, startHint };
}

/**
 * The calibration of a training estimate: the seconds per step and the `factors` (null: not known)
 * of the newest model that was timed (models newest first), else the built-in figure.
 */
export function newestCalibration<M extends { name: string }, F>(
  models: readonly M[],
  timed: (model: M) => number | null,
  factors: (model: M) => F | null,
  builtin: { secondsPerStep: number; factors: F; modelName: string | null },
): { secondsPerStep: number; factors: F; modelName: string | null } {
  for (const model of models) {
    const secondsPerStep = timed(model);
    const known = secondsPerStep === null ? null : factors(model);
    if (secondsPerStep !== null && known !== null) return { secondsPerStep, factors: known, modelName: model.name };
  }
  return builtin;
}

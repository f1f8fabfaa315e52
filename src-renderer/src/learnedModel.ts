import type { ModelInfo } from '@shared/api';
import { fidelityVerdict, simulatorMetrics, type FidelityVerdict } from './simulatorModel';
import { outcomeFidelityPhrase, outcomeMetrics, outcomeVerdict } from './outcomeModel';
import { formatSigned } from './format';

// The learned models a run can take its cost and design gradient from (Adam, energy guidance,
// learned scoring): outcome models and GNS learned simulators, told apart by kind, each with its
// cost fidelity in the same words wherever it is picked.

export type LearnedKind = 'outcome' | 'simulator';

export function isLearnedModel(model: ModelInfo): boolean {
  return model.kind === 'outcome' || model.kind === 'simulator';
}

/** the kinds in the order they are offered: outcome models first, the default energy */
export const LEARNED_KINDS: { kind: LearnedKind; group: string; short: string }[] = [
  { kind: 'outcome', group: 'Outcome models (gradient in microseconds)', short: 'outcome model' },
  { kind: 'simulator', group: 'Learned simulators, GNS (gradient in seconds)', short: 'GNS' },
];

export function learnedKindName(kind: ModelInfo['kind']): string {
  return LEARNED_KINDS.find((k) => k.kind === kind)?.short ?? kind;
}

/** A learned model's cost fidelity: a phrase ("ρ 0.973 within task (worst 0.941)") and its verdict; null while not measured. */
export function learnedFidelity(model: ModelInfo): { phrase: string | null; verdict: FidelityVerdict | null } {
  if (model.kind === 'outcome') {
    const { fidelity } = outcomeMetrics(model);
    return { phrase: outcomeFidelityPhrase(fidelity), verdict: outcomeVerdict(fidelity) };
  }
  if (model.kind !== 'simulator') return { phrase: null, verdict: null };
  const metrics = simulatorMetrics(model);
  return { phrase: metrics.spearman === null ? null : `ρ ${formatSigned(metrics.spearman)}`, verdict: fidelityVerdict(metrics) };
}

/** "Outcome 2025-06-01 (#7) · ρ 0.973 within task (worst 0.941) · ok": an entry of a picker */
export function learnedOptionLabel(model: ModelInfo): string {
  const { phrase, verdict } = learnedFidelity(model);
  return `${model.name} (#${model.id})${phrase ? ` · ${phrase}` : ''}${verdict ? ` · ${verdict.label}` : ''}`;
}

/** The model a run uses when none is chosen, as the engine picks it: the newest ready outcome model, else the newest GNS. */
export function defaultLearnedModel(models: readonly ModelInfo[]): ModelInfo | null {
  const ready = models.filter((m) => m.status === 'ready');
  const newest = (kind: LearnedKind): ModelInfo | null => ready.filter((m) => m.kind === kind).sort((a, b) => b.id - a.id)[0] ?? null;
  return newest('outcome') ?? newest('simulator');
}

/**
 * The learned model a form keeps chosen as the ready models change: the current one, moved on to
 * its newest refinement or fine-tune (a model trained from it: config.initModelId) when one
 * appears; the default when the current one is gone.
 */
export function followLearnedModel(models: readonly ModelInfo[], current: number | null): number | null {
  const ready = models.filter((m) => m.status === 'ready');
  if (current === null || !ready.some((m) => m.id === current)) return defaultLearnedModel(ready)?.id ?? null;
  let id = current;
  for (const seen = new Set([id]); ; ) {
    const next = ready.filter((m) => m.kind === 'outcome' && m.config.initModelId === id && !seen.has(m.id)).sort((a, b) => b.id - a.id)[0];
    if (!next) return id;
    id = next.id;
    seen.add(id);
  }
}

/** the models by kind, newest first in each, empty kinds left out */
export function learnedGroups(models: readonly ModelInfo[]): { kind: LearnedKind; label: string; models: ModelInfo[] }[] {
  return LEARNED_KINDS.map(({ kind, group }) => ({ kind, label: group, models: models.filter((m) => m.kind === kind).sort((a, b) => b.id - a.id) })).filter(
    (g) => g.models.length > 0,
  );
}

/**
 * How much longer a GNS design gradient takes than its rollout: the gradient runs the rollout
 * again and back through every frame (bench:gns, README: 13.2 s against 0.69 s, about 19×).
 */
export const GNS_GRADIENT_PER_ROLLOUT = 19;

/** Rough seconds of one GNS gradient, from the rollout time measured at its evaluation; null when not measured. */
export function gnsGradientSeconds(model: ModelInfo): number | null {
  if (model.kind !== 'simulator') return null;
  const ms = simulatorMetrics(model).learnedRolloutMs;
  return ms === null ? null : (ms * GNS_GRADIENT_PER_ROLLOUT) / 1000;
}

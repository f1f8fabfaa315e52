import type { XYChartConfig } from './charts';
import { formatCost } from './format';
import type { LossCurves } from './modelTraining';
import type { FidelityPoint } from './simulatorModel';

// Chart.js configurations for a learned simulator's figures: plain functions of its metrics,
// rebuilt whenever the metrics change (ChartCanvas then updates the chart in place).

const COLORS = {
  train: '#2458b3',
  validation: '#c2590a',
  best: '#1e7a45',
  design: 'rgba(36, 88, 179, 0.65)',
  identity: '#8a929d',
} as const;

function title(text: string): { display: true; text: string; align: 'start'; font: { size: number; weight: 'bold' } } {
  return { display: true, text, align: 'start', font: { size: 12, weight: 'bold' } };
}

/** Training and validation loss over the steps, log-scale y; the best validation point marked. */
export function lossChart(m: LossCurves): XYChartConfig {
  const best = m.bestStep !== null && m.bestValLoss !== null ? [{ x: m.bestStep, y: m.bestValLoss }] : [];
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'Training',
          data: m.trainLoss.map(([x, y]) => ({ x, y })),
          showLine: true,
          borderColor: COLORS.train,
          backgroundColor: COLORS.train,
          borderWidth: 1.5,
          pointRadius: 2,
        },
        {
          label: 'Validation',
          data: m.valLoss.map(([x, y]) => ({ x, y })),
          showLine: true,
          borderColor: COLORS.validation,
          backgroundColor: COLORS.validation,
          borderWidth: 1.5,
          pointRadius: 2,
        },
        {
          label: 'Best validation',
          data: best,
          borderColor: COLORS.best,
          backgroundColor: 'transparent',
          borderWidth: 2,
          pointRadius: 6,
          pointHoverRadius: 7,
        },
      ],
    },
    options: {
      plugins: {
        title: title(m.steps ? `Loss · evaluated to step ${m.step ?? 0} of ${m.steps}` : 'Loss'),
        legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 8, boxHeight: 8 } },
      },
      scales: {
        x: { type: 'linear', min: 0, title: { display: true, text: 'Step' } },
        y: { type: 'logarithmic', ...labelledLogAxis(), title: { display: true, text: 'Loss (log scale)' } },
      },
    },
  };
}

/**
 * Learned against ground-truth cost, one point per held-out design (and task, for an outcome
 * model), with the y = x line; `heading` names the fidelity figure for the title.
 */
export function fidelityChart(fidelity: readonly FidelityPoint[], heading: string): XYChartConfig {
  const points = fidelity.map(([x, y]) => ({ x, y }));
  const values = fidelity.flat();
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const pad = (hi - lo) * 0.05 || 0.01;
  const range = { min: lo - pad, max: hi + pad };
  return {
    type: 'scatter',
    data: {
      datasets: [
        {
          label: 'Held-out designs',
          data: points,
          backgroundColor: COLORS.design,
          borderColor: COLORS.design,
          pointRadius: 3,
          pointHoverRadius: 5,
        },
        {
          label: 'y = x',
          data: [
            { x: range.min, y: range.min },
            { x: range.max, y: range.max },
          ],
          showLine: true,
          borderColor: COLORS.identity,
          borderDash: [5, 4],
          borderWidth: 1,
          pointStyle: 'line',
          pointRadius: 0,
          pointHoverRadius: 0,
        },
      ],
    },
    options: {
      plugins: {
        title: title(`Cost fidelity · ${heading} (n = ${points.length})`),
        legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 8, boxHeight: 8 } },
        tooltip: {
          callbacks: {
            label: (item) => `ground truth ${formatCost(item.parsed.x)}, learned ${formatCost(item.parsed.y)}`,
          },
        },
      },
      scales: {
        x: { type: 'linear', ...range, title: { display: true, text: 'Ground-truth cost' } },
        y: { type: 'linear', ...range, title: { display: true, text: 'Learned cost' } },
      },
    },
  };
}

/** How a loss plot is drawn: against steps or (estimated) training time, smoothed, on a log or linear axis. */
export interface LossPlotOptions {
  x: 'step' | 'time';
  /** weight on the past of the EMA, 0 (none) to 0.99 */
  smoothing: number;
  y: 'log' | 'linear';
}

/** One model's curves for a compared loss plot. */
export interface LossSeries {
  label: string;
  color: string;
  trainLoss: readonly (readonly [number, number])[];
  valLoss: readonly (readonly [number, number])[];
  /** mean seconds per step of the training (the time axis is step × this); null: no time axis for it */
  secondsPerStep: number | null;
}

/** 1, 2 and 5 times a power of ten: the log axis' labelled gridlines */
export function logTickLabel(value: number): string {
  if (!(value > 0)) return '';
  const exp = Math.floor(Math.log10(value) + 1e-9);
  const mantissa = Math.round((value / 10 ** exp) * 1000) / 1000;
  if (![1, 2, 5].includes(mantissa)) return '';
  return value >= 1e4 || value < 1e-3 ? value.toExponential(0) : String(Number(value.toPrecision(3)));
}

/**
 * A log axis whose every gridline is labelled: gridlines only at 1, 2 and 5 times a power of ten;
 * where the axis spans too little for three of those, Chart.js's ticks thinned to at most about
 * eight, evenly spaced on the log scale, so their labels never overlap.
 */
export function labelledLogAxis(): { afterBuildTicks(scale: { ticks: { value: number }[] }): void; ticks: { autoSkip: false; callback(v: number | string): string } } {
  return {
    afterBuildTicks(scale) {
      const labelled = scale.ticks.filter((t) => logTickLabel(t.value) !== '');
      if (labelled.length >= 3) {
        scale.ticks = labelled;
        return;
      }
      const ticks = scale.ticks.filter((t) => t.value > 0).sort((a, b) => a.value - b.value);
      if (ticks.length < 3) return;
      const gap = Math.log10(ticks[ticks.length - 1]!.value / ticks[0]!.value) / 8;
      const kept = [ticks[0]!];
      for (const t of ticks.slice(1)) if (Math.log10(t.value / kept[kept.length - 1]!.value) >= gap * 0.999) kept.push(t);
      scale.ticks = kept;
    },
    ticks: { autoSkip: false, callback: (v) => logTickLabel(Number(v)) || String(Number(Number(v).toPrecision(2))) },
  };
}

/**
 * Training (solid) and validation (dashed) loss of several models on one plot, each model one
 * colour, smoothed by a debiased EMA (the raw points stay as faint dots), against steps or
 * training time, with every gridline labelled.
 */
export function lossCompareChart(series: readonly LossSeries[], o: LossPlotOptions, smoothFn: (v: readonly number[], a: number) => number[]): XYChartConfig {
  const xOf = (s: LossSeries, step: number): number => (o.x === 'time' ? step * (s.secondsPerStep ?? Number.NaN) : step);
  const datasets: XYChartConfig['data']['datasets'] = [];
  for (const s of series) {
    for (const [which, curve] of [
      ['training', s.trainLoss],
      ['validation', s.valLoss],
    ] as const) {
      if (!curve.length) continue;
      const ys = smoothFn(
        curve.map((p) => p[1]),
        o.smoothing,
      );
      datasets.push({
        label: `${s.label} · ${which}`,
        data: curve.map((p, i) => ({ x: xOf(s, p[0]), y: ys[i]! })),
        showLine: true,
        borderColor: s.color,
        backgroundColor: s.color,
        borderDash: which === 'validation' ? [5, 4] : [],
        borderWidth: 1.5,
        pointRadius: which === 'validation' ? 2 : 0,
      });
      if (o.smoothing > 0) {
        datasets.push({
          label: `${s.label} · ${which} (raw)`,
          data: curve.map((p) => ({ x: xOf(s, p[0]), y: p[1] })),
          borderColor: 'transparent',
          backgroundColor: `${s.color}40`,
          pointRadius: 1.5,
        });
      }
    }
  }
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 10, filter: (item) => !item.text.endsWith('(raw)') } },
      },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          grid: { display: true },
          title: { display: true, text: o.x === 'time' ? 'training time (s, step × the run’s mean seconds per step)' : 'step' },
        },
        y: {
          type: o.y === 'log' ? 'logarithmic' : 'linear',
          grid: { display: true },
          ...(o.y === 'log' ? labelledLogAxis() : {}),
          title: { display: true, text: o.y === 'log' ? 'loss (log scale)' : 'loss' },
        },
      },
    },
  };
}

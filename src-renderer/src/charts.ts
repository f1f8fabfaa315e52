import {
  BarController,
  BarElement,
  Chart,
  Legend,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type ChartConfiguration,
  type ScatterDataPoint,
} from 'chart.js';

// Chart.js, registered with only what the workbench draws: x–y plots (scatter, with lines where
// a dataset asks for them) and histograms (bars) on linear or logarithmic axes, with a title, a legend and tooltips.
Chart.register(BarController, BarElement, ScatterController, PointElement, LineElement, LinearScale, LogarithmicScale, Title, Tooltip, Legend);
// the workbench's own type and colours (styles/base.css: --font-sans, --text-muted, --border)
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
Chart.defaults.font.size = 11;
Chart.defaults.color = '#5d6673';
Chart.defaults.borderColor = '#e4e7ec';

/** An x–y plot: every dataset holds {x, y} points; `showLine` joins them. */
export type XYChartConfig = ChartConfiguration<'scatter', ScatterDataPoint[]>;
export type XYDataset = XYChartConfig['data']['datasets'][number];

/** A histogram: bars at bin centres on a linear x axis, heights = counts. */
export type HistogramChartConfig = ChartConfiguration<'bar', ScatterDataPoint[]>;
export type ChartCanvasConfig = XYChartConfig | HistogramChartConfig;

/** Colours of series drawn side by side (runs on one plot), in turn. */
export const SERIES_COLOURS = ['#2f6fde', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0c8599', '#c2255c', '#5c7cfa'];

export { Chart };

import {
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
// a dataset asks for them) on linear or logarithmic axes, with a title, a legend and tooltips.
Chart.register(ScatterController, PointElement, LineElement, LinearScale, LogarithmicScale, Title, Tooltip, Legend);
// the workbench's own type and colours (styles/base.css: --font-sans, --text-muted, --border)
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
Chart.defaults.font.size = 11;
Chart.defaults.color = '#5d6673';
Chart.defaults.borderColor = '#e4e7ec';

/** An x–y plot: every dataset holds {x, y} points; `showLine` joins them. */
export type XYChartConfig = ChartConfiguration<'scatter', ScatterDataPoint[]>;
export type XYDataset = XYChartConfig['data']['datasets'][number];

export { Chart };

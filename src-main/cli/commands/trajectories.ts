import { writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { TrajectoryFormat, TrajectoryMapping, TrajectoryPreview } from '../../../src-shared/api';
import { parseColumnList } from '../../../src-shared/column-list';
import { ApiError } from '../../../src-shared/errors';
import { formatFromName } from '../../engine/datasets/trajectory-source';
import { call, findProject, globals, intOption, print, program, withWorkbench } from '../context';
import { table } from '../format';

// `idw dataset import` (optimization trajectories from CSV, JSON, JSONL, NPZ) and `idw export`
// (the best designs, or a whole optimization dataset, as CSV or JSON).

const FORMATS = ['csv', 'json', 'jsonl', 'npz'] as const;
const FIELDS = ['run', 'optimizer', 'iteration', 'cost', 'task', 'design'] as const;

/** --map run=seed,cost=loss,task=a+b,design=p0+p1+p2+p3 or design=p0..p7 (vector fields: columns joined by +; "none" unsets run, optimizer or iteration). */
type MapOption = Partial<TrajectoryMapping> & { designList?: string };

function parseMap(v: string): MapOption {
  const out: Record<string, unknown> = {};
  for (const pair of v.split(',')) {
    const eq = pair.indexOf('=');
    const field = pair.slice(0, eq).trim() as (typeof FIELDS)[number];
    const column = pair.slice(eq + 1).trim();
    if (eq < 0 || !FIELDS.includes(field) || !column) throw new InvalidArgumentError(`--map: "${pair}" is not field=column with field one of ${FIELDS.join(', ')}.`);
    if (field === 'task') out[field] = column.split('+').map((c) => c.trim());
    // the design: columns joined by + or a range (p0..p7), resolved against the file's columns once read
    else if (field === 'design') out.designList = column;
    else if (column === 'none') {
      if (field === 'cost') throw new InvalidArgumentError('--map: cost cannot be none.');
      out[field] = null;
    } else out[field] = column;
  }
  return out as MapOption;
}

function describePreview(p: TrajectoryPreview): string {
  const m = p.mapping;
  const lines = [
    `${p.fileName} (${p.format}): ${p.columns.length} columns`,
    m
      ? `mapping  run ${m.run ?? '(one run)'}, optimizer ${m.optimizer ?? '(imported)'}, iteration ${m.iteration ?? '(row order)'}, cost ${m.cost}, task ${m.task.join('+')}, design ${m.design.length > 4 ? `${m.design[0]}…${m.design.at(-1)} (${m.design.length})` : m.design.join('+')}`
      : 'mapping  not detected: give --map field=column,…',
  ];
  if (p.rows.length) lines.push(table(p.columns, p.rows.slice(0, 5).map((r) => r.map((c) => (c === null ? '' : String(c))))));
  for (const x of p.problems) lines.push(`problem  ${x.row !== null ? `row ${x.row}, ` : ''}${x.column !== null ? `column ${x.column}: ` : ''}${x.message}`);
  return lines.join('\n');
}

export function registerTrajectoryCommands(): void {
  const dataset = program.commands.find((c) => c.name() === 'dataset') ?? program.command('dataset').description('datasets: generate, list, import and export');
  dataset
    .command('import <file>')
    .description('import optimization trajectories (run, optimizer, iteration, task, design, cost) from .csv, .json, .jsonl or .npz: checked row by row, all or nothing')
    .requiredOption('--project <project>', 'project id or name')
    .option('--name <name>', 'dataset name (default: the file name)')
    .option('--format <format>', `file format: ${FORMATS.join(', ')} (default: from the extension)`, (v: string) => {
      if (!(FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--format must be one of ${FORMATS.join(', ')}.`);
      return v as TrajectoryFormat;
    })
    .option('--map <field=column,...>', 'correct the detected mapping, e.g. cost=loss,run=seed,task=a+b,design=p0+p1+p2+p3 or design=p0..p7 (none unsets run, optimizer, iteration)', parseMap)
    .action((file: string, o: { project: string; name?: string; format?: TrajectoryFormat; map?: MapOption }) =>
      withWorkbench(async (wb) => {
        const p = await findProject(wb, o.project);
        const source = { path: resolve(file) };
        const format = o.format ?? formatFromName(file) ?? undefined;
        const preview = await call(wb, 'datasets.previewImport', { projectId: p.id, source, format });
        let mapping: TrajectoryMapping | undefined;
        if (o.map) {
          const { designList, ...fields } = o.map;
          const merged = { ...preview.mapping, ...fields };
          if (designList !== undefined) {
            const list = parseColumnList(designList, preview.columns);
            if ('error' in list) throw new ApiError('invalid_argument', `--map design: ${list.error}.`, [{ path: 'mapping.design', message: list.error }]);
            merged.design = list.columns;
          }
          if (!merged.cost || !merged.task || !merged.design) {
            throw new ApiError('invalid_argument', `${describePreview(preview)}\nThe mapping is incomplete: give at least cost, task and design with --map.`);
          }
          mapping = { run: merged.run ?? null, optimizer: merged.optimizer ?? null, iteration: merged.iteration ?? null, cost: merged.cost, task: merged.task, design: merged.design };
        }
        if (!globals().json) console.log(describePreview(preview));
        const ds = await call(wb, 'datasets.importOptimization', { projectId: p.id, name: o.name ?? basename(file, extname(file)), source, format, mapping });
        const s = ds.stats;
        print(
          `Imported dataset ${ds.id} "${ds.name}": ${s.rows} records, ${s.runs} runs, ${s.tasks} tasks, ${s.optimizers} optimizers, cost ${Number(s.minCost).toPrecision(4)}–${Number(s.maxCost).toPrecision(4)} (mean ${Number(s.meanCost).toPrecision(4)})`,
          { preview, dataset: ds },
        );
      }),
    );

  program
    .command('export')
    .description('export the best designs (simulator queries, records of an optimization dataset, or the designs a run kept) with task, cost, method, run and joint angles; or a whole dataset with --all')
    .requiredOption('--project <project>', 'project id or name')
    .requiredOption('--out <file>', 'the .csv or .json file to write')
    .option('--top <k>', 'the k cheapest designs (default 100)', intOption('--top'))
    .option('--per-task', 'the k cheapest for each distinct task')
    .option('--method <method>', 'only this method (optimizer)')
    .option('--ids <ids>', 'exactly these query (or record) ids, comma-separated', (v: string) => v.split(',').map((x) => intOption('--ids')(x.trim())))
    .option('--dataset <id>', 'from this optimization dataset instead of the simulator queries', intOption('--dataset'))
    .option('--job <id>', 'the designs this sampling or optimize job kept (the designs table) instead of the simulator queries', intOption('--job'))
    .option('--run <run>', 'the designs this run kept (the designs table) instead of the simulator queries')
    .option('--all', 'with --dataset: every record, in the import layout (run, optimizer, iteration, task_x, task_y, x0…, cost)')
    .option('--format <format>', 'csv or json (default: from --out)', (v: string) => {
      if (v !== 'csv' && v !== 'json') throw new InvalidArgumentError('--format must be csv or json.');
      return v;
    })
    .action((o: { project: string; out: string; top?: number; perTask?: boolean; method?: string; ids?: number[]; dataset?: number; job?: number; run?: string; all?: boolean; format?: 'csv' | 'json' }) =>
      withWorkbench(async (wb) => {
        const p = await findProject(wb, o.project);
        const ext = extname(o.out).toLowerCase().slice(1);
        const format = o.format ?? (ext === 'json' ? 'json' : ext === 'csv' ? 'csv' : undefined);
        if (!format) throw new ApiError('invalid_argument', `--out must end in .csv or .json (or give --format), got "${o.out}".`);
        let r: { fileName: string; content: string; rows: number };
        if (o.all) {
          if (o.dataset === undefined) throw new ApiError('invalid_argument', '--all exports a whole dataset: give --dataset <id>.');
          if (wb.datasets.get(o.dataset).projectId !== p.id) throw new ApiError('not_found', `Project "${p.name}" has no dataset ${o.dataset}.`);
          r = await call(wb, 'datasets.exportOptimization', { id: o.dataset, format });
        } else {
          const kept = o.job !== undefined || o.run !== undefined;
          if (kept && o.dataset !== undefined) throw new ApiError('invalid_argument', '--job and --run export the designs a run kept; --dataset exports records of a dataset: give one or the other.');
          r = await call(wb, 'designs.export', {
            projectId: p.id,
            from: kept ? 'designs' : o.dataset !== undefined ? 'dataset' : 'queries',
            datasetId: o.dataset,
            jobId: o.job,
            run: o.run,
            topK: o.top,
            perTask: o.perTask ?? false,
            method: o.method,
            ids: o.ids,
            format,
          });
        }
        // a selection that matches nothing writes no file (a header alone reads as a finished export) and exits 3
        if (!r.rows) {
          const filters = [o.method !== undefined ? `method "${o.method}"` : null, o.job !== undefined ? `job ${o.job}` : null, o.run !== undefined ? `run "${o.run}"` : null, o.dataset !== undefined ? `dataset ${o.dataset}` : null].filter(Boolean);
          throw new ApiError('not_found', `Nothing to export: no ${o.all ? 'records' : 'designs'} of project "${p.name}" match${filters.length ? ` (${filters.join(', ')})` : ''}; ${o.out} was not written.`);
        }
        writeFileSync(o.out, r.content);
        print(`Wrote ${r.rows} ${o.all ? 'records' : 'designs'} to ${o.out}`, { out: o.out, rows: r.rows });
      }),
    );
}

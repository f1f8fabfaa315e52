import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { MethodInput, MethodName, MethodResult, ProjectSummary } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { createHandlers } from '../api/handlers';
import { dispatch } from '../api/dispatch';
import { Workbench } from '../engine/workbench';
import { startBrowserServer } from '../server/browser-server';
import { formatCost, formatTime, table } from './format';

// `idw`: the same engine, database and API handlers as the desktop app, from a terminal.

interface GlobalOptions {
  dataDir?: string;
  json?: boolean;
}

const program = new Command();
program
  .name('idw')
  .description('Inverse Design Workbench: diffusion generative inverse design, offline.')
  .option('--data-dir <dir>', 'workbench data directory (default: IDW_DATA_DIR, else the desktop app\'s folder)')
  .option('--json', 'print machine-readable JSON')
  .showHelpAfterError('(run with --help for usage)');

function globals(): GlobalOptions {
  return program.opts<GlobalOptions>();
}

function openWorkbench(mode: 'cli' | 'browser' = 'cli', seedBuiltin = false): Workbench {
  return new Workbench({ dataDir: globals().dataDir, mode, seedBuiltin });
}

/** Calls the API exactly as the app does, so the CLI gets the same validation and errors. */
async function call<M extends MethodName>(wb: Workbench, method: M, args: MethodInput<M>): Promise<MethodResult<M>> {
  const envelope = await dispatch(createHandlers(wb), method, args);
  if (!envelope.ok) throw ApiError.fromPayload(envelope.error);
  return envelope.result as MethodResult<M>;
}

async function withWorkbench<T>(fn: (wb: Workbench) => Promise<T>): Promise<T> {
  const wb = openWorkbench();
  try {
    return await fn(wb);
  } finally {
    await wb.close();
  }
}

function print(human: string, json: unknown): void {
  console.log(globals().json ? JSON.stringify(json, null, 2) : human);
}

function intOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${v}".`);
    return n;
  };
}
function numberOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}".`);
    return n;
  };
}

async function findProject(wb: Workbench, ref: string): Promise<ProjectSummary> {
  if (/^\d+$/.test(ref)) return call(wb, 'projects.get', { id: Number(ref) });
  const p = wb.projects.findByName(ref);
  if (!p) throw new ApiError('not_found', `There is no project named "${ref}". See "idw project list".`);
  return p;
}

function describeProject(p: ProjectSummary): string {
  const s = p.settings;
  return [
    `Project ${p.id}: ${p.name}`,
    `  environment   ${p.environment}`,
    `  particles     ${s.particles}`,
    `  joints        ${s.joints} (design dimension ${p.designSpace.dim}, bounds [${p.designSpace.lower}, ${p.designSpace.upper}])`,
    `  frames        ${s.frames} × ${s.substeps} substeps, grid ${s.grid}²`,
    `  theta max     ${s.thetaMax.toFixed(4)} rad`,
    `  target radius ${s.targetRadius}`,
    `  task range    x ${s.taskRange.xMin}–${s.taskRange.xMax}, y ${s.taskRange.yMin}–${s.taskRange.yMax}`,
    `  created       ${formatTime(p.createdAt)}`,
    `  best cost     ${formatCost(p.bestCost)} over ${p.queryCount} queries`,
    `  datasets ${p.datasetCount}, models ${p.modelCount}, designs ${p.designCount}`,
  ].join('\n');
}

program
  .command('doctor')
  .description('report what this machine has: Electron, TF.js backend, ONNX Runtime, SQLite, data directory')
  .action(() =>
    withWorkbench(async (wb) => {
      const c = await call(wb, 'app.capabilities', {});
      const mark = (ok: boolean): string => (ok ? 'ok  ' : 'no  ');
      print(
        [
          `Inverse Design Workbench ${c.app.version}`,
          `${mark(c.electron.available)}Electron       ${c.electron.version ?? '-'}: ${c.electron.detail}`,
          `${mark(c.tfjs.available)}TF.js          ${c.tfjs.version ?? '-'} backend ${c.tfjs.backend ?? '-'}: ${c.tfjs.detail}`,
          `${mark(c.onnxruntime.available)}ONNX Runtime   ${c.onnxruntime.version ?? '-'}: ${c.onnxruntime.detail}`,
          `${mark(c.sqlite.available)}SQLite         ${c.sqlite.version}: ${c.sqlite.detail}`,
          `    Node           ${c.node} on ${c.platform}, ${c.cpus} cores, ${c.workers} job workers`,
          `    Data directory ${c.dataDir}`,
          `    Database       ${c.databasePath} (schema version ${c.schemaVersion})`,
        ].join('\n'),
        c,
      );
    }),
  );

const project = program.command('project').description('create, list, show, rename and delete design projects');

project
  .command('create')
  .description('create a FluidTool-2D design project (unset settings take the defaults)')
  .requiredOption('--name <name>', 'project name (unique)')
  .option('--particles <n>', `fluid particles (default ${FLUIDTOOL2D_DEFAULTS.particles})`, intOption('--particles'))
  .option('--joints <k>', `tool joints = design dimension (default ${FLUIDTOOL2D_DEFAULTS.joints})`, intOption('--joints'))
  .option('--frames <n>', `frames per rollout (default ${FLUIDTOOL2D_DEFAULTS.frames})`, intOption('--frames'))
  .option('--substeps <n>', `MPM substeps per frame (default ${FLUIDTOOL2D_DEFAULTS.substeps})`, intOption('--substeps'))
  .option('--grid <n>', `MPM grid resolution (default ${FLUIDTOOL2D_DEFAULTS.grid})`, intOption('--grid'))
  .option('--theta-max <rad>', 'maximum bend per joint in radians', numberOption('--theta-max'))
  .option('--target-radius <r>', `target disc radius (default ${FLUIDTOOL2D_DEFAULTS.targetRadius})`, numberOption('--target-radius'))
  .option('--task-range <xmin,xmax,ymin,ymax>', 'where targets may be placed', (v: string) => {
    const parts = v.split(',').map(Number);
    if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x))) {
      throw new InvalidArgumentError(`--task-range needs four numbers xmin,xmax,ymin,ymax, got "${v}".`);
    }
    const [xMin, xMax, yMin, yMax] = parts as [number, number, number, number];
    return { xMin, xMax, yMin, yMax };
  })
  .action((o: Record<string, unknown>) =>
    withWorkbench(async (wb) => {
      const keys = ['particles', 'joints', 'frames', 'substeps', 'grid', 'thetaMax', 'targetRadius', 'taskRange'] as const;
      const settings = Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
      const p = await call(wb, 'projects.create', { name: String(o.name), environment: 'fluidtool-2d', settings });
      print(`Created project ${p.id}: ${p.name}`, p);
    }),
  );

project
  .command('list')
  .description('list projects with their best cost so far')
  .action(() =>
    withWorkbench(async (wb) => {
      const list = await call(wb, 'projects.list', {});
      print(
        list.length
          ? table(
              ['ID', 'NAME', 'ENVIRONMENT', 'JOINTS', 'PARTICLES', 'CREATED', 'BEST COST', 'QUERIES'],
              list.map((p) => [p.id, p.name, p.environment, p.settings.joints, p.settings.particles, formatTime(p.createdAt), formatCost(p.bestCost), p.queryCount]),
            )
          : 'No projects yet. Create one with: idw project create --name "My project"',
        list,
      );
    }),
  );

project
  .command('show <project>')
  .description('show a project (by id or name)')
  .action((ref: string) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, ref);
      print(describeProject(p), p);
    }),
  );

project
  .command('rename <project> <name>')
  .description('rename a project (by id or name)')
  .action((ref: string, name: string) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, ref);
      const renamed = await call(wb, 'projects.rename', { id: p.id, name });
      print(`Renamed project ${p.id}: ${p.name} → ${renamed.name}`, renamed);
    }),
  );

project
  .command('delete <project>')
  .description('delete a project with all its datasets, models, designs, queries and files')
  .option('--yes', 'confirm the deletion')
  .action((ref: string, o: { yes?: boolean }) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, ref);
      if (!o.yes) {
        throw new ApiError(
          'invalid_argument',
          `This deletes project ${p.id} "${p.name}" with ${p.datasetCount} datasets, ${p.modelCount} models, ${p.designCount} designs and ${p.queryCount} queries. Repeat with --yes to confirm.`,
        );
      }
      const r = await call(wb, 'projects.delete', { id: p.id });
      print(`Deleted project ${p.id}: ${p.name}`, r);
    }),
  );

program
  .command('serve')
  .description('serve the workbench to a browser on 127.0.0.1 (browser mode)')
  .option('--port <port>', 'port (default: a free one)', intOption('--port'), 0)
  .option('--no-seed', 'do not create the built-in FluidTool-2D project on a new database')
  .action(async (o: { port: number; seed: boolean }) => {
    const wb = openWorkbench('browser', o.seed);
    const handlers = createHandlers(wb);
    const server = await startBrowserServer({
      dispatch: (method, args) => dispatch(handlers, method, args),
      events: wb.events,
      staticDir: rendererDir(),
      port: o.port,
    });
    if (globals().json) {
      console.log(JSON.stringify({ url: server.url, port: server.port, token: server.token, dataDir: wb.dataDir }));
    } else {
      console.log(`Inverse Design Workbench, browser mode\n  open     ${server.url}\n  data     ${wb.dataDir}\nOnly this machine can connect, and only with the link above. Ctrl+C stops it.`);
      if (wb.interruptedJobs.length) console.log(`  note: ${wb.interruptedJobs.length} job(s) were interrupted by the last shutdown.`);
    }
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void server.close().then(() => wb.close()).then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

function rendererDir(): string {
  const here = dirname(typeof __filename !== 'undefined' ? __filename : process.argv[1]!);
  const candidates = [join(here, '..', 'renderer'), resolve(here, '..', '..', 'out', 'renderer')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0]!;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ApiError) {
    if (globals().json) console.error(JSON.stringify(err.toPayload()));
    else {
      console.error(`idw: ${err.message}`);
    }
    process.exit(err.code === 'not_found' ? 3 : 2);
  }
  console.error(`idw: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

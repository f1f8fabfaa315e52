import { existsSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { dirname, join, resolve } from 'node:path';
import { CommanderError, InvalidArgumentError } from 'commander';
import { asDatasetKind, asKind, jobResult, type ProjectSummary, type SimulationResult, type SimulatorModelMetrics } from '../../src-shared/api';
import { ApiError } from '../../src-shared/errors';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { createHandlers } from '../api/handlers';
import { MAX_UNPACKED_BYTES, formatBytes, writeNpz } from '../engine/datasets/npz';
import { readRegularFile } from '../engine/datasets/trajectory-source';
import { dispatch } from '../api/dispatch';
import { startBrowserServer } from '../server/browser-server';
import { formatCost, formatTime, table } from './format';
import { registerTrajectoryCommands } from './commands/trajectories';
import { call, describeDataset, describeParticles, findProject, globals, intOption, numberList, numberOption, openWorkbench, print, program, runJob, withWorkbench } from './context';
import { registerDiffusionCommands } from './commands/diffusion';
import { registerOutcomeCommands } from './commands/outcome';
import { describeQueue, registerQueueCommands } from './commands/queue';
import { registerOptimizeCommands, registerTrajectoryGeneration } from './commands/optimize';

// `idw`: the same engine, database and API handlers as the desktop app, from a terminal.

function describeProject(p: ProjectSummary): string {
  const s = p.settings;
  return [
    `Project ${p.id}: ${p.name}`,
    `  environment   ${p.environment}`,
    `  particles     ${s.particles} water (a rollout also holds the tool's particles)`,
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
  .description('report what this machine has: Electron, TF.js backend, ONNX Runtime, SQLite, data directory, the ground-truth queue')
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
          ...describeQueue(c.queue),
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

function writeRollout(path: string, r: SimulationResult): void {
  const positions = new Float32Array(Buffer.from(r.rollout.positions, 'base64').buffer.slice(0));
  const { frames, particles } = r.rollout;
  if (extname(path).toLowerCase() === '.npz') {
    writeFileSync(
      path,
      writeNpz({
        positions: { dtype: 'f4', shape: [frames, particles, 2], data: positions },
        particle_type: { dtype: 'i8', shape: [particles], data: BigInt64Array.from(r.rollout.particleTypes.map(BigInt)) },
        design: { dtype: 'f4', shape: [r.design.length], data: Float32Array.from(r.design) },
        task: { dtype: 'f4', shape: [r.task.length], data: Float32Array.from(r.task) },
      }),
    );
  } else if (extname(path).toLowerCase() === '.json') {
    const frameList = Array.from({ length: frames }, (_, f) =>
      Array.from({ length: particles }, (_, p) => [positions[(f * particles + p) * 2]!, positions[(f * particles + p) * 2 + 1]!]),
    );
    writeFileSync(path, JSON.stringify({ design: r.design, task: r.task, cost: r.cost, capture: r.capture, frameDt: r.rollout.frameDt, particle_type: r.rollout.particleTypes, positions: frameList }));
  } else {
    throw new ApiError('invalid_argument', `--out must end in .json or .npz, got "${path}".`);
  }
}

program
  .command('simulate')
  .description('run one design through the ground-truth simulator (one stored query); print cost and capture')
  .requiredOption('--project <project>', 'project id or name')
  .requiredOption('--design <x1,x2,...>', 'normalized design, one value in [-1, 1] per joint', numberList('--design'))
  .option('--task <tx,ty>', 'target point (default: the centre of the task range)', numberList('--task'))
  .option('--out <file>', 'write the rollout to a .json or .npz file (GNS layout: positions [T, N, 2], particle_type [N])')
  .action((o: { project: string; design: number[]; task?: number[]; out?: string }) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, o.project);
      const r = await call(wb, 'simulate.run', { projectId: p.id, design: o.design, task: o.task, method: 'cli' });
      if (o.out) writeRollout(o.out, r);
      const { rollout, ...summary } = r;
      print(
        [
          `cost     ${r.cost.toPrecision(6)}  (mean squared distance of the water to the target)`,
          `capture  ${(r.capture * 100).toFixed(1)}%  (water inside the target disc of radius ${p.settings.targetRadius})`,
          `task     (${r.task.map((v) => v.toFixed(3)).join(', ')})`,
          `wall     ${r.wallMs.toFixed(1)} ms for ${rollout.frames} frames of ${describeParticles(rollout.particles, rollout.particleTypes)}; stored as query ${r.queryId}`,
          ...(o.out ? [`rollout  written to ${o.out}`] : []),
        ].join('\n'),
        { ...summary, out: o.out ?? null },
      );
    }),
  );

program
  .command('stored')
  .description("the project's stored designs cheapest for a task: its ground-truth queries, each costed for the task from its stored outcome (no new query)")
  .requiredOption('--project <project>', 'project id or name')
  .requiredOption('--task <tx,ty>', 'target point', numberList('--task'))
  .option('--count <n>', 'how many distinct designs (default 10)', intOption('--count'))
  .option('--out <file>', 'also write them (and their ids, provenance and joint angles) to a .csv or .json file, costed for the task')
  .action((o: { project: string; task: number[]; count?: number; out?: string }) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, o.project);
      const r = await call(wb, 'queries.stored', { projectId: p.id, task: o.task, count: o.count });
      if (o.out) {
        const format = o.out.toLowerCase().endsWith('.json') ? 'json' : o.out.toLowerCase().endsWith('.csv') ? 'csv' : null;
        if (!format) throw new ApiError('invalid_argument', `--out must end in .csv or .json, got "${o.out}".`);
        const file = await call(wb, 'designs.export', { projectId: p.id, from: 'stored', task: o.task, topK: o.count ?? 10, format });
        writeFileSync(o.out, file.content);
      }
      const lines = r.rows.map((q, i) => `${String(i + 1).padStart(3)}  cost ${q.taskCost.toPrecision(4)}  capture ${(q.taskCapture * 100).toFixed(1)}%  query ${q.id} (${q.method}${q.run ? `, run ${q.run}` : ''}; its own task (${q.task.map((v) => v.toFixed(3)).join(', ')}): ${q.cost.toPrecision(4)})  design ${q.design.map((v) => v.toFixed(3)).join(',')}`);
      print(
        [
          `task (${r.task.map((v) => v.toFixed(3)).join(', ')}): ${r.rows.length} stored designs, from queries up to ${r.upToQueryId}`,
          ...(r.rows.length ? lines : ['none: the project has no ground-truth queries with outcomes yet']),
          ...(o.out ? [`written to ${o.out}`] : []),
        ].join('\n'),
        { ...r, out: o.out ?? null },
      );
    }),
  );

const dataset = program.command('dataset').description('physics datasets: generate, list, import and export');

dataset
  .command('generate-physics')
  .description('generate a physics dataset: N random designs and tasks, one ground-truth rollout each')
  .requiredOption('--project <project>', 'project id or name')
  .requiredOption('-n, --count <n>', 'number of trajectories', intOption('--count'))
  .option('--seed <seed>', 'random seed (default 1)', intOption('--seed'))
  .option('--name <name>', 'dataset name')
  .action((o: { project: string; count: number; seed?: number; name?: string }) => {
    const wb = openWorkbench();
    return (async () => {
      const p = await findProject(wb, o.project);
      const job = await call(wb, 'jobs.start', { kind: 'dataset.physics', projectId: p.id, params: { count: o.count, seed: o.seed, name: o.name } });
      const done = await runJob(wb, job);
      const ds = asDatasetKind(wb.datasets.get(jobResult(done, 'dataset.physics').datasetId), 'physics');
      print(`Generated dataset ${ds.id} "${ds.name}": ${ds.stats.trajectories} trajectories, mean cost ${describeDataset(ds)[7]}`, ds);
    })().finally(() => wb.close());
  });

dataset
  .command('list')
  .description("list a project's datasets with their statistics")
  .requiredOption('--project <project>', 'project id or name')
  .action((o: { project: string }) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, o.project);
      const list = await call(wb, 'datasets.list', { projectId: p.id });
      print(
        list.length
          ? table(['ID', 'NAME', 'KIND', 'STATUS', 'TRAJ', 'FRAMES', 'PARTICLES', 'MEAN COST', 'SOURCE', 'CREATED'], list.map(describeDataset))
          : `Project ${p.name} has no datasets yet. Generate one with: idw dataset generate-physics --project ${p.id} -n 64`,
        list,
      );
    }),
  );

dataset
  .command('export <dataset>')
  .description('export a physics dataset as .npz (traj<i>_positions [T, N, 2], traj<i>_particle_type [N], traj<i>_design, traj<i>_task)')
  .requiredOption('--out <file>', 'the .npz file to write')
  .action((id: string, o: { out: string }) =>
    withWorkbench(async (wb) => {
      const r = await call(wb, 'datasets.exportPhysics', { id: Number(id) });
      const bytes = Buffer.from(r.npzBase64, 'base64');
      writeFileSync(o.out, bytes);
      print(`Wrote ${o.out} (${(bytes.length / 2 ** 20).toFixed(2)} MiB)`, { out: o.out, bytes: bytes.length });
    }),
  );

dataset
  .command('import-physics <file>')
  .description('import a physics dataset from .npz (positions [T, N, 2] and particle_type [N], single or traj<i>_ prefixed)')
  .requiredOption('--project <project>', 'project id or name')
  .option('--name <name>', 'dataset name (default: the file name)')
  .action((file: string, o: { project: string; name?: string }) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, o.project);
      let bytes: Buffer;
      try {
        // a regular file only (not /dev/urandom, a FIFO or a directory), checked before reading; its size capped
        bytes = readRegularFile(file, MAX_UNPACKED_BYTES + 2 ** 20, `the import limit of ${formatBytes(MAX_UNPACKED_BYTES)} (an .npz is read whole)`);
      } catch (err) {
        throw new ApiError('invalid_argument', `Cannot read ${file}: ${(err as Error).message}`, [{ path: 'file', message: (err as Error).message }]);
      }
      const name = o.name ?? basename(file, extname(file));
      const ds = await call(wb, 'datasets.importPhysics', { projectId: p.id, name, npzBase64: bytes.toString('base64'), fileName: basename(file) });
      print(`Imported dataset ${ds.id} "${ds.name}": ${ds.stats.trajectories} trajectories`, ds);
    }),
  );

const modelCmd = program.command('model').description('learned models: list, export (all kinds); train a GNS (outcome models: idw outcome train)');

modelCmd
  .command('list')
  .description("list a project's models with their metrics")
  .requiredOption('--project <project>', 'project id or name')
  .action((o: { project: string }) =>
    withWorkbench(async (wb) => {
      const p = await findProject(wb, o.project);
      const list = await call(wb, 'models.list', { projectId: p.id });
      const fmt = (v: unknown, digits = 3): string => (typeof v === 'number' ? v.toFixed(digits) : '—');
      print(
        list.length
          ? table(
              ['ID', 'NAME', 'KIND', 'STATUS', 'STEPS', 'BEST VAL', 'SPEARMAN', 'WITHIN TASK', 'POS ERR (last)', 'CREATED'],
              list.map((m) => {
                const x: Pick<SimulatorModelMetrics, 'step' | 'bestValLoss' | 'spearman' | 'spearmanPerTask' | 'positionError'> = m.metrics;
                const pe = x.positionError ? Object.values(x.positionError).pop() : undefined;
                return [m.id, m.name, m.kind, m.status, x.step ?? '—', fmt(x.bestValLoss, 4), fmt(x.spearman), fmt(x.spearmanPerTask), fmt(pe, 4), formatTime(m.createdAt)];
              }),
            )
          : `Project ${p.name} has no models yet. Train one with: idw model train --project ${p.id} --dataset <id>`,
        list,
      );
    }),
  );

modelCmd
  .command('train')
  .description('train a learned simulator (GNS) on physics datasets; Ctrl+C cancels, keeping the last checkpoint')
  .requiredOption('--project <project>', 'project id or name')
  .option('--dataset <ids>', 'physics dataset ids, comma-separated', numberList('--dataset'))
  .option('--resume <model>', 'continue an interrupted model from its checkpoint', intOption('--resume'))
  .option('--init <model>', "fine-tune: a new model that starts from this ready model's weights (its sizes and radius are kept)", intOption('--init'))
  .option('--steps <n>', 'most training steps', intOption('--steps'))
  .option('--latent <n>', 'latent size', intOption('--latent'))
  .option('--message-passing <n>', 'message-passing steps', intOption('--message-passing'))
  .option('--radius <r>', 'connectivity radius', numberOption('--radius'))
  .option('--learning-rate <lr>', 'Adam learning rate', numberOption('--learning-rate'))
  .option('--fidelity-designs <n>', 'random designs for the Spearman check', intOption('--fidelity-designs'))
  .option('--name <name>', 'model name')
  .option('--on-queue', 'train on a worker of the Redis queue (idw worker); here when no queue can be reached, saying so')
  .action((o: { project: string; dataset?: number[]; resume?: number; init?: number; steps?: number; latent?: number; messagePassing?: number; radius?: number; learningRate?: number; fidelityDesigns?: number; name?: string; onQueue?: boolean }) => {
    const wb = openWorkbench();
    return (async () => {
      const p = await findProject(wb, o.project);
      const datasetIds = o.dataset ?? (o.resume !== undefined && wb.models.get(o.resume).datasetId !== null ? [wb.models.get(o.resume).datasetId!] : undefined);
      if (!datasetIds) throw new ApiError('invalid_argument', 'Give --dataset <id> (see "idw dataset list"), or --resume <model>.');
      const params = Object.fromEntries(
        Object.entries({ datasetIds, resumeModelId: o.resume, initModelId: o.init, steps: o.steps, latent: o.latent, messagePassingSteps: o.messagePassing, radius: o.radius, learningRate: o.learningRate, fidelityDesigns: o.fidelityDesigns, name: o.name, queue: o.onQueue }).filter(([, v]) => v !== undefined),
      );
      const job = await call(wb, 'jobs.start', { kind: 'gns.train', projectId: p.id, params });
      const done = await runJob(wb, job);
      const model = asKind(wb.models.get(jobResult(done, 'gns.train').modelId), 'simulator');
      const m = model.metrics;
      print(
        `Model ${model.id} "${model.name}" is ready: ${m.step} steps, best validation loss ${m.bestValLoss?.toPrecision(4)}, Spearman cost fidelity ${m.spearman?.toFixed(3) ?? '—'}${m.fidelityDesigns === undefined ? '' : ` on ${m.fidelityDesigns} held-out designs`}, position error ${JSON.stringify(m.positionError)}`,
        model,
      );
    })().finally(() => wb.close());
  });

modelCmd
  .command('export <model>')
  .description("write a learned simulator's one-step model as .onnx")
  .requiredOption('--out <file>', 'the .onnx file to write')
  .action((id: string, o: { out: string }) =>
    withWorkbench(async (wb) => {
      const r = await call(wb, 'models.exportOnnx', { id: Number(id) });
      const bytes = Buffer.from(r.onnxBase64, 'base64');
      writeFileSync(o.out, bytes);
      print(`Wrote ${o.out} (${(bytes.length / 1024).toFixed(0)} KiB)`, { out: o.out, bytes: bytes.length });
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

registerOptimizeCommands();
registerDiffusionCommands();
registerOutcomeCommands();
registerQueueCommands();

registerTrajectoryCommands();
registerTrajectoryGeneration();

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // commander has printed its message (or the help); help and --version end well, the rest is bad input
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
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

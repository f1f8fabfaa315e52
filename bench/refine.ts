// bench:refine — does refinement on the ground truth pay? On the built-in settings with the
// shipped outcome model, Adam runs round after round on the same task, its 8 best proposals
// checked on the ground truth each round; in one arm the outcome model stays fixed (checks
// only), in the other each round fine-tunes it on the checks (refinement) and the next round
// follows the refined model. Per round: the best checked ground-truth cost and the learned
// model's error at the checked designs (the model the round followed). Writes
// bench/results/refine.json.
//   npm run bench:refine -- [--tasks 4] [--rounds 4]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { installDefaultOutcome } from '../src-main/engine/models/default-model';
import { OutcomeModel } from '../src-main/engine/outcome/model-file';
import { seededRandom } from '../src-main/engine/random';
import { jobResult, type JobInfo } from '../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { benchWorkbench, ok } from './harness';
import { quantile, writeResults } from './report';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '4' }, rounds: { type: 'string', default: '4' } } });
const TASKS = Number(values.tasks);
const ROUNDS = Number(values.rounds);
const ADAM = { budget: 64, adam: { learningRate: 0.1, restarts: 4, smoothness: 0 } };

async function main(): Promise<void> {
  const bench = await benchWorkbench('refine');
  const { wb, call } = bench;
  const t0 = Date.now();
  try {
    const rand = seededRandom(31_337);
    const env0 = wb.environment(wb.projects.create({ name: 'tasks', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS }).id);
    const tasks = Array.from({ length: TASKS }, () => Array.from(env0.sampleTask(rand)).map((v) => Number(v.toFixed(4))));
    const arms = { fixed: { enabled: true, checks: 8, steps: 0 }, refined: { enabled: true, checks: 8, steps: 400 } };
    // per arm, per round: [best ground-truth cost, median |learned - true| at the checked designs] over tasks
    const results: Record<string, { best: number[]; error: number[] }[]> = { fixed: [], refined: [] };
    for (const [arm, refine] of Object.entries(arms)) {
      for (let r = 0; r < ROUNDS; r++) results[arm]!.push({ best: [], error: [] });
      for (const [k, task] of tasks.entries()) {
        const project = wb.projects.create({ name: `${arm} ${k}`, environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
        const shipped = installDefaultOutcome(wb.models, project);
        if (!shipped) throw new Error('no shipped outcome model: npm run train:default:outcome');
        const env = wb.environment(project.id);
        let modelId = shipped.id;
        for (let r = 0; r < ROUNDS; r++) {
          const started = ok<JobInfo>(await call('jobs.start', { kind: 'optimize', projectId: project.id, params: { optimizer: 'adam', modelId, task, seed: r + 1, refine, ...ADAM } }));
          const done = await wb.jobs.whenFinished(started.id);
          if (done.status !== 'succeeded') throw new Error(`${done.error}`);
          const result = jobResult(done, 'optimize');
          const info = wb.models.get(modelId);
          const model = OutcomeModel.fromBytes(readFileSync(join(wb.models.dir(info), 'model.json')), readFileSync(join(wb.models.dir(info), 'weights.bin')));
          const checks = wb.db.prepare("SELECT design, cost FROM simulator_queries WHERE project_id = ? AND run = ? AND simulator = 'ground_truth'").all(project.id, `adam-${done.id}`) as { design: Buffer; cost: number }[];
          const errors = checks.map((c) => Math.abs(env.evaluateOutcome(model.predict(new Float32Array(c.design.buffer, c.design.byteOffset, c.design.length / 4)), task).cost - c.cost)).sort((a, b) => a - b);
          results[arm]![r]!.best.push(result.refinement!.best!.cost);
          results[arm]![r]!.error.push(quantile(errors, 0.5));
          console.log(`${arm.padEnd(8)} task ${k} round ${r + 1}: best checked ${result.refinement!.best!.cost.toFixed(4)}, learned error at the checks ${quantile(errors, 0.5).toFixed(4)} (model ${info.name})`);
          if (result.refinement!.refinedModelId !== null) modelId = result.refinement!.refinedModelId;
        }
      }
    }
    const med = (v: number[]): number => Number(quantile([...v].sort((a, b) => a - b), 0.5).toPrecision(4));
    const table = Object.fromEntries(Object.entries(results).map(([arm, rounds]) => [arm, rounds.map((x, r) => ({ round: r + 1, medianBestCost: med(x.best), medianLearnedError: med(x.error) }))]));
    console.log('\nround  fixed: best / error      refined: best / error');
    for (let r = 0; r < ROUNDS; r++) console.log(`${r + 1}      ${table.fixed![r]!.medianBestCost} / ${table.fixed![r]!.medianLearnedError}      ${table.refined![r]!.medianBestCost} / ${table.refined![r]!.medianLearnedError}`);
    console.log(`written ${writeResults('refine', `npm run bench:refine -- --tasks ${TASKS} --rounds ${ROUNDS}`, { tasks, adam: ADAM, arms, rounds: table, raw: results, wallMinutes: Number(((Date.now() - t0) / 60000).toFixed(1)) })}`);
  } finally {
    await bench.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});

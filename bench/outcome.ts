// bench:outcome — the shipped default outcome model (resources/models/fluidtool2d-outcome, made
// by `npm run train:default:outcome`): how it was trained (rollouts, seconds), its fidelity on
// designs it never saw (fresh random ground-truth rollouts, ranked within each of several tasks of
// the default range), the time of a design gradient (batch of 64) and of an ORT forward pass.
// Writes bench/results/outcome.json.
//   npm run bench:outcome -- [--designs 320] [--tasks 8]
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { outcomeFidelity } from '../src-main/engine/outcome/fidelity';
import { defaultModelManifest } from '../src-main/engine/models/default-model';
import { OutcomeModel } from '../src-main/engine/outcome/model-file';
import { OUTCOME_ONNX_IO } from '../src-main/engine/outcome/onnx-export';
import { seededRandom } from '../src-main/engine/random';
import { OutcomeEnergy } from '../src-main/engine/simulators/learned-energy';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { benchWorkbench } from './harness';
import { summarize, writeResults } from './report';

const { values } = parseArgs({ options: { designs: { type: 'string', default: '320' }, tasks: { type: 'string', default: '8' } } });

async function main(): Promise<void> {
  const found = defaultModelManifest('fluidtool2d-outcome');
  if (!found) throw new Error('No default outcome model in resources/: run `npm run train:default:outcome` first.');
  const model = OutcomeModel.fromBytes(readFileSync(join(found.dir, 'model.json')), readFileSync(join(found.dir, 'weights.bin')));
  const shipped = found.manifest.metrics as { step: number; trainingSeconds: number; examples: { train: number; val: number }; fidelity: { spearmanMean: number; spearmanWorst: number; bestQuarterMean: number; pickRankWorst: number; designs: number; tasks: number } };

  const bench = await benchWorkbench('outcome');
  try {
    const project = bench.wb.projects.create({ name: 'bench outcome', environment: 'fluidtool-2d', settings: FLUIDTOOL2D_DEFAULTS });
    const env = bench.wb.environment(project.id);
    model.checkFor(env, FLUIDTOOL2D_DEFAULTS, 'default');

    // fresh held-out designs: ground-truth rollouts from a seed the training never used
    const n = Number(values.designs);
    const rand = seededRandom(777_001);
    const designs = Array.from({ length: n }, () => env.sampleDesign(rand));
    const t0 = performance.now();
    await bench.wb.simulator(project.id).evaluate(designs, env.defaultTask(), { projectId: project.id, method: 'bench.outcome' });
    const rolloutSeconds = (performance.now() - t0) / 1000;
    const heldOut = bench.wb.queries.outcomeExamples(project.id, env.outcomeSpec.dim);
    const fidelity = outcomeFidelity(env, model, heldOut, Number(values.tasks), 4242);

    // a design gradient: batches of 64 through the one interface Adam and energy guidance use
    const energy = new OutcomeEnergy(0, model, env);
    const batch = designs.slice(0, 64);
    const gradientMs: number[] = [];
    for (let k = 0; k < 30; k++) {
      const s = performance.now();
      await energy.evaluate(batch, env.defaultTask());
      gradientMs.push((performance.now() - s) / batch.length);
    }
    // ORT forward of the exported model, batch of 64
    const session = await InferenceSession.create(readFileSync(join(found.dir, 'model.onnx')), { intraOpNumThreads: 1 });
    const input = new Tensor('float32', Float32Array.from(batch.flatMap((d) => Array.from(d))), [64, env.designSpace.dim]);
    const ortMs: number[] = [];
    for (let k = 0; k < 30; k++) {
      const s = performance.now();
      await session.run({ [OUTCOME_ONNX_IO.design]: input });
      ortMs.push(performance.now() - s);
    }
    await session.release();

    const r3 = (x: number): number => Number(x.toFixed(3));
    const figures = {
      model: found.manifest.name,
      trainedWith: found.manifest.command,
      training: {
        rollouts: shipped.examples.train + shipped.examples.val,
        heldOutInTraining: shipped.examples.val,
        steps: shipped.step,
        trainingSeconds: Math.round(shipped.trainingSeconds),
        wallSecondsDataAndTraining: found.manifest.wallSeconds,
        fidelityOnItsHeldOut: shipped.fidelity,
      },
      fidelity: {
        designs: fidelity.designs,
        tasks: fidelity.tasks,
        spearmanMean: r3(fidelity.spearmanMean),
        spearmanWorst: r3(fidelity.spearmanWorst),
        spearmanPerTask: fidelity.spearmanPerTask.map(r3),
        bestQuarterMean: r3(fidelity.bestQuarterMean),
        pickRanks: fidelity.pickRanks,
        pickRankWorst: fidelity.pickRankWorst,
        spearmanPooled: r3(fidelity.spearmanPooled),
        captureError: r3(fidelity.captureError),
        targets: { spearmanMean: 0.95, spearmanWorst: 0.9 },
        freshRolloutSeconds: Number(rolloutSeconds.toFixed(1)),
      },
      gradientMsPerDesign: summarize(gradientMs),
      ortForwardMsBatch64: summarize(ortMs),
    };
    console.log(`default outcome model "${found.manifest.name}": trained on ${figures.training.rollouts} rollouts (${shipped.examples.val} held out), ${figures.training.trainingSeconds} s training, ${figures.training.wallSecondsDataAndTraining} s with its data`);
    console.log(
      `fresh held-out: ${fidelity.designs} designs x ${fidelity.tasks} tasks: within-task Spearman mean ${r3(fidelity.spearmanMean)} (target 0.95), worst ${r3(fidelity.spearmanWorst)} (target 0.90), best quarter ${r3(fidelity.bestQuarterMean)}, pick ranks ${fidelity.pickRanks.join('/')}, capture error ${r3(fidelity.captureError)}`,
    );
    console.log(`gradient: median ${figures.gradientMsPerDesign.median} ms a design (batch of 64; target 1 ms); ORT forward, batch of 64: median ${figures.ortForwardMsBatch64.median} ms`);
    console.log(`written ${writeResults('outcome', `npm run bench:outcome -- ${process.argv.slice(2).join(' ')}`.trim(), figures)}`);
  } finally {
    await bench.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});

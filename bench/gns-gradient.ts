// Run by bench/gns.ts in a process of its own so that its peak RSS is the gradient's alone:
// ∇x E through a 50-frame learned rollout of the default FluidTool-2D. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLUIDTOOL2D_DEFAULTS } from '../src-shared/environments';
import { FluidTool2D } from '../src-main/engine/environments/fluidtool2d';
import { designGradient } from '../src-main/engine/gns/gradient';
import { GnsNetwork } from '../src-main/engine/gns/network';
import { deserializeWeights } from '../src-main/engine/gns/serialize';
import { bytesToFloats } from '../src-main/engine/nn/floats';
import type { GnsModelFile } from '../src-main/engine/gns/serialize';
import { defaultModelManifest } from '../src-main/engine/models/default-model';
import { computeNormalization } from '../src-main/engine/gns/normalization';
import { GNS_DEFAULTS } from '../src-main/engine/gns/spec';
import { seededRandom } from '../src-main/engine/random';
import { loadTf } from '../src-main/engine/tf';
import { summarize } from './report';

async function main(): Promise<void> {
  // the shipped default model when there is one, else the briefly trained network bench/gns.ts
  // passes (random weights pile the constrained water into corners: an all-to-all graph), else
  // (run alone) the default network with random weights
  const shipped = defaultModelManifest();
  const dir = shipped?.dir ?? (process.env.IDW_BENCH_MODEL_DIR || null);
  const { tf } = await loadTf();
  const env = new FluidTool2D(FLUIDTOOL2D_DEFAULTS);
  let file: Pick<GnsModelFile, 'gns' | 'norm' | 'stepsPerFrame'>;
  let network: GnsNetwork;
  if (dir) {
    const f = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as GnsModelFile;
    file = f;
    network = GnsNetwork.fromWeights(tf, f.gns, deserializeWeights(f.layout, bytesToFloats(readFileSync(join(dir, 'weights.bin')))));
  } else {
    const gt = [env.rollout(env.sampleDesign(seededRandom(1))), env.rollout(env.sampleDesign(seededRandom(2)))];
    file = { gns: GNS_DEFAULTS, norm: computeNormalization(gt, GNS_DEFAULTS) };
    network = GnsNetwork.create(tf, GNS_DEFAULTS, 1);
  }
  const label = shipped ? 'default' : dir ? (process.env.IDW_BENCH_MODEL_LABEL ?? 'briefly trained') : 'random weights';
  const rand = seededRandom(9);
  const rssBefore = process.resourceUsage().maxRSS / 1024;
  const samples: number[] = [];
  let norm = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const steps = (FLUIDTOOL2D_DEFAULTS.frames - 1) * (file.stepsPerFrame ?? 1) + 1;
    // with the environment's constraints on every learned state, as the learned simulator's gradient uses them
    const design = env.sampleDesign(rand);
    const g = await designGradient(tf, network, file.gns, file.norm, FLUIDTOOL2D_DEFAULTS, design, env.sampleTask(rand), steps, env.constraint(design));
    samples.push(performance.now() - t0);
    norm = Math.hypot(...g.gradient);
  }
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ model: label, constrained: true, ms: summarize(samples), peakRssMiB, rssAfterLoadMiB: rssBefore, lastGradientNorm: norm, frames: FLUIDTOOL2D_DEFAULTS.frames }));
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

import { describe, expect, it } from 'vitest';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import { FluidTool2D } from '../../src-main/engine/environments/fluidtool2d';
import { buildStepInputs } from '../../src-main/engine/gns/features';
import { GnsNetwork } from '../../src-main/engine/gns/network';
import { computeNormalization } from '../../src-main/engine/gns/normalization';
import { exportGnsOnnx } from '../../src-main/engine/gns/onnx-export';
import { OnnxGnsStep } from '../../src-main/engine/gns/onnx-step';
import { GNS_DEFAULTS } from '../../src-main/engine/gns/spec';
import { loadTf } from '../../src-main/engine/tf';

describe('TF.js and ONNX Runtime parity', () => {
  it('the exported one-step model gives the TF.js output within 1e-4 relative on a real FluidTool-2D frame', async () => {
    const { tf } = await loadTf();
    const env = new FluidTool2D({ ...FLUIDTOOL2D_DEFAULTS, particles: 64, frames: 20 });
    const r = env.rollout(Float32Array.from([0.3, -0.2, 0.1, 0, 0.5, -0.4, 0.2, 0.1]));
    const config = { ...GNS_DEFAULTS, latent: 24, messagePassingSteps: 3 };
    const norm = computeNormalization([r], config);
    const frame = r.particles * 2;
    const inputs = buildStepInputs(config, norm, r.positions.slice(8 * frame, 14 * frame), r.particleTypes, r.particles);
    expect(inputs.e).toBeGreaterThan(100);
    const network = GnsNetwork.create(tf, config, 4);
    const fromTf = network.predict(inputs);
    const step = await OnnxGnsStep.load(exportGnsOnnx(config, network.weights()));
    const fromOrt = await step.run(inputs);
    await step.release();
    network.dispose();
    const scale = Math.max(1, ...Array.from(fromTf, Math.abs));
    const worst = Math.max(...Array.from(fromTf, (v, i) => Math.abs(v - fromOrt[i]!)));
    expect(worst / scale).toBeLessThan(1e-4);
  });
});

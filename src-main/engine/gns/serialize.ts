import type { DenseWeights, GnsConfig, GnsNormalization, GnsWeights, MlpWeights } from './spec';

// GnsWeights as one float32 buffer plus a JSON layout: how models and checkpoints are stored.

/** model.json in a simulator model's folder: with weights.bin and model.onnx, enough to run or resume it. */
export interface GnsModelFile {
  gns: GnsConfig;
  norm: GnsNormalization;
  layout: WeightsLayout;
  /** GNS steps per environment frame (the states per frame of its training data); 1 when absent */
  stepsPerFrame?: number;
}

interface MlpLayout {
  layers: { inSize: number; outSize: number }[];
  layerNorm: boolean;
}
export interface WeightsLayout {
  typeEmbedding: number;
  nodeEncoder: MlpLayout;
  edgeEncoder: MlpLayout;
  processor: { edge: MlpLayout; node: MlpLayout }[];
  decoder: MlpLayout;
  /** float32 values in all */
  size: number;
}

function mlpArrays(m: MlpWeights): Float32Array[] {
  return [...m.layers.flatMap((l) => [l.w, l.b]), ...(m.layerNorm ? [m.layerNorm.gamma, m.layerNorm.beta] : [])];
}
function mlpLayout(m: MlpWeights): MlpLayout {
  return { layers: m.layers.map((l) => ({ inSize: l.inSize, outSize: l.outSize })), layerNorm: m.layerNorm !== null };
}
function allArrays(w: GnsWeights): Float32Array[] {
  return [w.typeEmbedding, ...mlpArrays(w.nodeEncoder), ...mlpArrays(w.edgeEncoder), ...w.processor.flatMap((p) => [...mlpArrays(p.edge), ...mlpArrays(p.node)]), ...mlpArrays(w.decoder)];
}

export function serializeWeights(w: GnsWeights): { layout: WeightsLayout; data: Float32Array } {
  const arrays = allArrays(w);
  const data = new Float32Array(arrays.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const a of arrays) {
    data.set(a, at);
    at += a.length;
  }
  return {
    layout: {
      typeEmbedding: w.typeEmbedding.length,
      nodeEncoder: mlpLayout(w.nodeEncoder),
      edgeEncoder: mlpLayout(w.edgeEncoder),
      processor: w.processor.map((p) => ({ edge: mlpLayout(p.edge), node: mlpLayout(p.node) })),
      decoder: mlpLayout(w.decoder),
      size: data.length,
    },
    data,
  };
}

export function deserializeWeights(layout: WeightsLayout, data: Float32Array): GnsWeights {
  if (data.length !== layout.size) throw new Error(`weights file has ${data.length} values, its layout says ${layout.size}`);
  let at = 0;
  const take = (n: number): Float32Array => {
    const out = data.slice(at, at + n);
    at += n;
    return out;
  };
  const mlp = (m: MlpLayout): MlpWeights => {
    const layers: DenseWeights[] = m.layers.map((l) => ({ inSize: l.inSize, outSize: l.outSize, w: take(l.inSize * l.outSize), b: take(l.outSize) }));
    const width = m.layers[m.layers.length - 1]!.outSize;
    return { layers, layerNorm: m.layerNorm ? { gamma: take(width), beta: take(width) } : null };
  };
  const typeEmbedding = take(layout.typeEmbedding);
  const nodeEncoder = mlp(layout.nodeEncoder);
  const edgeEncoder = mlp(layout.edgeEncoder);
  const processor = layout.processor.map((p) => ({ edge: mlp(p.edge), node: mlp(p.node) }));
  const decoder = mlp(layout.decoder);
  return { typeEmbedding, nodeEncoder, edgeEncoder, processor, decoder };
}


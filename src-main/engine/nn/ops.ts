// TF.js operations the GNS, the diffusion denoiser and the outcome model share, written for the
// wasm backend's speed rules (README, "TF.js backend"): matMul gradients without transpose flags,
// gatherND / scatterND pairs instead of gather + unsortedSegmentSum, LayerNorm with its own
// gradient.
import type * as TfModule from '@tensorflow/tfjs';

type Tf = typeof TfModule;
type Tensor = TfModule.Tensor;
type Tensor2D = TfModule.Tensor2D;
type Variable = TfModule.Variable;

/** LayerNorm's epsilon, the same in TF.js, the plain-TS references and every ONNX export. */
export const LAYER_NORM_EPSILON = 1e-5;

export interface GraphOps {
  /** x [rows, F], index [K, 1] int32 -> [K, F]; gradient by scatterND */
  gatherRows(x: Tensor2D | Variable, index: Tensor2D, rows: number): Tensor2D;
  /** x [K, F], index [K, 1] int32 -> [rows, F] summing duplicates; gradient by gatherND */
  sumOntoRows(x: Tensor2D, index: Tensor2D, rows: number): Tensor2D;
  /** x [rows, in] W [in, out] + b [out] (b may be null), then ReLU if asked; fused forward, gradient with plain matMuls */
  dense(x: Tensor2D, w: Tensor2D | Variable, b: Tensor | null, relu?: boolean): Tensor2D;
  /** LayerNorm over the last axis of x [rows, F], gamma/beta [F] */
  layerNorm(x: Tensor2D, gamma: Tensor, beta: Tensor): Tensor2D;
}

export function graphOps(tf: Tf): GraphOps {
  // customGrad's typings take (...Tensor | save); this gives each op its real signature
  type Grad = { value: Tensor; gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor[] };
  const custom = <A extends Tensor[]>(f: (save: TfModule.GradSaveFunc, ...args: A) => Grad) =>
    tf.customGrad(((...args: unknown[]) => {
      const save = args.pop() as TfModule.GradSaveFunc;
      return f(save, ...(args as A));
    }) as Parameters<Tf['customGrad']>[0]) as (...args: A) => Tensor;
  const t = (x: Tensor): Tensor2D => tf.transpose(x as Tensor2D);
  // column sums as a matMul: tf.sum over axis 0 transposes first and is slower on wasm
  const columnSum = (x: Tensor2D): Tensor => tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]) as Tensor2D, x), [x.shape[1]]);
  const linear = custom((save, x: Tensor, w: Tensor) => {
    save([x, w]);
    return {
      value: tf.matMul(x as Tensor2D, w as Tensor2D),
      gradFunc: (dy, [sx, sw]) => [tf.matMul(dy as Tensor2D, t(sw!)), tf.matMul(t(sx!), dy as Tensor2D)],
    };
  });
  const affine = (activation: 'relu' | 'linear') =>
    custom((save, x: Tensor, w: Tensor, b: Tensor) => {
      const y = tf.fused.matMul({ a: x as Tensor2D, b: w as Tensor2D, bias: b, activation });
      save(activation === 'relu' ? [x, w, y] : [x, w]);
      return {
        value: y,
        gradFunc: (dy, [sx, sw, sy]) => {
          const dz = (activation === 'relu' ? tf.mul(dy, tf.step(sy!)) : dy) as Tensor2D;
          return [tf.matMul(dz, t(sw!)), tf.matMul(t(sx!), dz), columnSum(dz)];
        },
      };
    });
  const affineRelu = affine('relu');
  const affineLinear = affine('linear');
  const gatherRows = (x: Tensor2D | Variable, index: Tensor2D, rows: number): Tensor2D =>
    custom((save, xs: Tensor) => {
      save([index]);
      return {
        value: tf.gatherND(xs, index),
        gradFunc: (dy, [idx]) => [tf.scatterND(idx!, dy, [rows, dy.shape[1]!])],
      };
    })(x) as Tensor2D;
  const sumOntoRows = (x: Tensor2D, index: Tensor2D, rows: number): Tensor2D =>
    custom((save, xs: Tensor) => {
      save([index]);
      return {
        value: tf.scatterND(index, xs, [rows, xs.shape[1]!]),
        gradFunc: (dy, [idx]) => [tf.gatherND(dy, idx!)],
      };
    })(x) as Tensor2D;
  const dense = (x: Tensor2D, w: Tensor2D | Variable, b: Tensor | null, relu = false): Tensor2D => {
    if (!b) return (relu ? tf.relu(linear(x, w)) : linear(x, w)) as Tensor2D;
    return (relu ? affineRelu(x, w, b) : affineLinear(x, w, b)) as Tensor2D;
  };
  // x^ = (x - mean) / sigma; dx = (g - mean(g) - x^ mean(g x^)) / sigma with g = dy gamma
  const layerNorm = custom((save, x: Tensor, gamma: Tensor, beta: Tensor) => {
    const { mean, variance } = tf.moments(x, 1, true);
    const inv = tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON));
    const xHat = tf.mul(tf.sub(x, mean), inv);
    save([xHat, inv, gamma]);
    return {
      value: tf.add(tf.mul(xHat, gamma), beta),
      gradFunc: (dy, [sxHat, sInv, sGamma]) => {
        const g = tf.mul(dy, sGamma!);
        const centred = tf.sub(g, tf.mean(g, 1, true));
        const dx = tf.mul(tf.sub(centred, tf.mul(sxHat!, tf.mean(tf.mul(g, sxHat!), 1, true))), sInv!);
        return [dx, columnSum(tf.mul(dy, sxHat!) as Tensor2D), columnSum(dy as Tensor2D)];
      },
    };
  }) as (x: Tensor2D, gamma: Tensor, beta: Tensor) => Tensor2D;
  return { gatherRows, sumOntoRows, dense, layerNorm };
}

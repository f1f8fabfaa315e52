import type { z } from 'zod';
import type { JobParams } from '../../../src-shared/api';
import { Adam } from './adam';
import { CrossEntropyMethod } from './cem';
import { Cmaes } from './cmaes';
import type { Optimizer } from './optimizer';
import { RandomSearch } from './random';

export { optimize, type Batch, type Evaluation, type Objective, type OptimizationResult, type Optimizer, type OptimizerName } from './optimizer';

/** The optimizer an optimize job asks for, with its settings. */
export function createOptimizer(params: Pick<z.output<(typeof JobParams)['optimize']>, 'optimizer' | 'adam' | 'cem' | 'cmaes'>, randomBatch = 32): Optimizer {
  switch (params.optimizer) {
    case 'adam':
      return new Adam(params.adam);
    case 'cem':
      return new CrossEntropyMethod(params.cem);
    case 'cmaes':
      return new Cmaes(params.cmaes);
    case 'random':
      return new RandomSearch({ batchSize: randomBatch });
  }
}

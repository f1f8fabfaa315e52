import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { SimulationResult } from '@shared/api';
import { useConnection } from '../api/connection';
import { decodeRollout, type DecodedRollout } from '../rollout';

/** Which simulator answers a run: the ground truth, or one learned model of the project. */
export type SimulatorChoice = { simulator: 'ground_truth' } | { simulator: 'learned'; modelId: number; modelName: string };

/** "Ground truth (MPM)" or "Learned: GNS 2025-06-01 10:12" */
export function simulatorLabel(choice: SimulatorChoice): string {
  return choice.simulator === 'ground_truth' ? 'Ground truth (MPM)' : `Learned: ${choice.modelName}`;
}

export function sameSimulator(a: SimulatorChoice, b: SimulatorChoice): boolean {
  if (a.simulator === 'ground_truth' || b.simulator === 'ground_truth') return a.simulator === b.simulator;
  return a.modelId === b.modelId;
}

export interface SimulationRequest {
  design: number[];
  task: [number, number];
  simulator: SimulatorChoice;
  /** a stored query of this design, task and simulator: replayed (nothing new stored) instead of run again */
  queryId?: number;
}

export interface Simulation {
  running: Ref<boolean>;
  error: Ref<unknown>;
  /** the last run's figures; its rollout's base64 is dropped once decoded */
  result: ShallowRef<SimulationResult | null>;
  rollout: ShallowRef<DecodedRollout | null>;
  /** the design, task and simulator as sent for the result (the server may round them, e.g. to float32) */
  sent: ShallowRef<SimulationRequest | null>;
  /** resolves true when the run succeeded and became the result */
  run(projectId: number, request: SimulationRequest): Promise<boolean>;
  clear(): void;
}

/** One rollout at a time through `simulate.run` (or `simulate.replay` of a stored query), ground truth or learned; a newer run supersedes an older one. */
export function useSimulation(): Simulation {
  const { client } = useConnection();
  const running = ref(false);
  const error = ref<unknown>(null);
  const result = shallowRef<SimulationResult | null>(null);
  const rollout = shallowRef<DecodedRollout | null>(null);
  const sent = shallowRef<SimulationRequest | null>(null);
  let latestRequest = 0;

  async function run(projectId: number, asked: SimulationRequest): Promise<boolean> {
    const request = ++latestRequest;
    running.value = true;
    error.value = null;
    const { design, task, simulator } = asked;
    try {
      const answer =
        asked.queryId !== undefined
          ? await client.call('simulate.replay', { projectId, queryId: asked.queryId })
          : await client.call('simulate.run', {
              projectId,
              design,
              task,
              simulator: simulator.simulator,
              modelId: simulator.simulator === 'learned' ? simulator.modelId : undefined,
            });
      if (request !== latestRequest) return false;
      const decoded = decodeRollout(answer.rollout);
      rollout.value = decoded;
      result.value = { ...answer, rollout: { ...answer.rollout, positions: '' } };
      // a replay answers with the stored query's design and task (what was simulated)
      sent.value = asked.queryId !== undefined ? { design: answer.design, task: [answer.task[0]!, answer.task[1]!], simulator } : { design, task, simulator };
      return true;
    } catch (e) {
      if (request === latestRequest) error.value = e;
      return false;
    } finally {
      if (request === latestRequest) running.value = false;
    }
  }

  function clear(): void {
    latestRequest++;
    running.value = false;
    error.value = null;
    result.value = null;
    rollout.value = null;
    sent.value = null;
  }

  return { running, error, result, rollout, sent, run, clear };
}

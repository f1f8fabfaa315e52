import { z } from 'zod';
import './messages';
import { maxParticles, minSubsteps } from './fluidtool2d';

// Settings of the built-in FluidTool-2D environment (docs/method.md §7), validated wherever they
// enter: the create dialog, the API boundary and the CLI share this one schema.
export const TaskRange = z
  .object({
    xMin: z.number().min(0).max(1),
    xMax: z.number().min(0).max(1),
    yMin: z.number().min(0).max(1),
    yMax: z.number().min(0).max(1),
  })
  .strict()
  .refine((r) => r.xMin < r.xMax, { message: 'xMin must be less than xMax', path: ['xMax'] })
  .refine((r) => r.yMin < r.yMax, { message: 'yMin must be less than yMax', path: ['yMax'] });
export type TaskRange = z.infer<typeof TaskRange>;

/** The fields alone, for partial input (create takes some and fills in the defaults). */
export const FluidTool2DFields = z
  .object({
    particles: z.number().int().min(16).max(4096),
    joints: z.number().int().min(4).max(32),
    frames: z.number().int().min(10).max(300),
    substeps: z.number().int().min(1).max(200),
    grid: z.number().int().min(16).max(256),
    /** maximum bend per joint, radians: x_j = ±1 bends joint j by ±thetaMax */
    thetaMax: z.number().gt(0).max(Math.PI / 2),
    targetRadius: z.number().gt(0).max(0.5),
    taskRange: TaskRange,
  })
  .strict();

/** The whole settings, with the rules that tie fields together. */
export const FluidTool2DSettings = FluidTool2DFields.superRefine((s, ctx) => {
  const most = maxParticles(s.grid);
  if (s.particles > most) {
    ctx.addIssue({
      code: 'custom',
      path: ['particles'],
      message: `at most ${most} particles fit above the tool on a ${s.grid}² grid; use a finer grid or fewer particles`,
    });
  }
  const fewest = minSubsteps(s.grid);
  if (s.substeps < fewest) {
    ctx.addIssue({
      code: 'custom',
      path: ['substeps'],
      message: `must be at least ${fewest} on a ${s.grid}² grid for a stable time step`,
    });
  }
});
export type FluidTool2DSettings = z.infer<typeof FluidTool2DFields>;

export const FLUIDTOOL2D_DEFAULTS: FluidTool2DSettings = {
  particles: 256,
  joints: 8,
  frames: 50,
  substeps: 40,
  grid: 64,
  thetaMax: Math.PI / 8,
  targetRadius: 0.1,
  // targets on the floor, where the water ends: at the centre (0.6, 0.07) a 256-query CEM run's
  // best design captures 53.5% of the water (the README gives the command)
  taskRange: { xMin: 0.3, xMax: 0.9, yMin: 0.05, yMax: 0.09 },
};

export const ENVIRONMENTS = {
  'fluidtool-2d': {
    id: 'fluidtool-2d',
    title: 'FluidTool-2D',
    description:
      'A block of water falls onto a tool shaped by joint angles; bring the water to a target disc.',
    settings: FluidTool2DSettings,
    defaults: FLUIDTOOL2D_DEFAULTS,
  },
} as const;
export type EnvironmentId = keyof typeof ENVIRONMENTS;
export const EnvironmentId = z.enum(['fluidtool-2d']);

/** Design and task spaces implied by an environment's settings. */
export interface DesignSpace {
  /** design dimension d; designs live in [-1, 1]^d */
  dim: number;
  lower: number;
  upper: number;
  /** what each entry means, for tables and exports */
  labels: string[];
}
export interface TaskSpace {
  dim: number;
  labels: string[];
  lower: number[];
  upper: number[];
}

export function fluidTool2DSpaces(s: FluidTool2DSettings): { design: DesignSpace; task: TaskSpace } {
  return {
    design: {
      dim: s.joints,
      lower: -1,
      upper: 1,
      labels: Array.from({ length: s.joints }, (_, j) => `joint ${j + 1}`),
    },
    task: {
      dim: 2,
      labels: ['target x', 'target y'],
      lower: [s.taskRange.xMin, s.taskRange.yMin],
      upper: [s.taskRange.xMax, s.taskRange.yMax],
    },
  };
}

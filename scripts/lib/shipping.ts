// What the train:default scripts share: following a job in the console, and copying a trained
// model with its manifest into resources/, from where new workbenches install it.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobInfo, ModelInfo } from '../../src-shared/api';
import { FLUIDTOOL2D_DEFAULTS } from '../../src-shared/environments';
import type { DefaultModelManifest } from '../../src-main/engine/models/default-model';
import type { Workbench } from '../../src-main/engine/workbench';

/** Waits for a job, printing its progress now and then; throws unless it succeeded. */
export async function waitForJob(wb: Workbench, job: JobInfo, label: string): Promise<JobInfo> {
  let last = 0;
  const t0 = Date.now();
  const off = wb.events.on((event, payload) => {
    const j = payload as JobInfo;
    if (event !== 'job.updated' || j.id !== job.id) return;
    if (j.progress < 1 && Date.now() - last < 10_000 && !/evaluat|Export/i.test(j.message ?? '')) return;
    last = Date.now();
    console.log(`[${label}] ${(j.progress * 100).toFixed(0)}% ${j.message ?? ''}  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  });
  const done = await wb.jobs.whenFinished(job.id);
  off();
  if (done.status !== 'succeeded') throw new Error(`${label} ${done.status}: ${done.error ?? ''}`);
  return done;
}

/** Replaces `out` with the model's files and a manifest naming the command that made it. */
export function shipModel(wb: Workbench, model: ModelInfo, out: string, files: readonly string[], command: string, startedAt: number): DefaultModelManifest {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const f of files) copyFileSync(join(wb.models.dir(model), f), join(out, f));
  const manifest: DefaultModelManifest = {
    name: model.name,
    environment: 'fluidtool-2d',
    settings: FLUIDTOOL2D_DEFAULTS,
    config: model.config,
    metrics: model.metrics,
    trainedAt: new Date().toISOString(),
    command,
    wallSeconds: Math.round((Date.now() - startedAt) / 1000),
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

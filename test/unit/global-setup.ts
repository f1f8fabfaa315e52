import type { TestProject } from 'vitest/node';
import { bundleWorkers } from '../../scripts/lib/bundle-workers';

export default async function setup(project: TestProject): Promise<() => void> {
  const bundles = await bundleWorkers(process.cwd());
  project.provide('workerFile', bundles.jobWorker);
  project.provide('testKindsFile', bundles.testJobKinds);
  project.provide('computeWorkerFile', bundles.computeWorker);
  return () => bundles.remove();
}

declare module 'vitest' {
  export interface ProvidedContext {
    workerFile: string;
    testKindsFile: string;
    computeWorkerFile: string;
  }
}

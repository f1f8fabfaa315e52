import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import type { Capabilities, ComponentStatus } from '../../src-shared/api';
import { describeMissing, loadTf } from './tf';

const requireHere = createRequire(typeof __filename !== 'undefined' ? __filename : import.meta.url);

export function packageVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(requireHere.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Electron: running inside it, or installed with or without its binary. */
export function detectElectron(): ComponentStatus {
  if (process.versions.electron) {
    return { available: true, version: process.versions.electron, detail: `Running inside Electron ${process.versions.electron}.` };
  }
  const version = packageVersion('electron');
  if (!version) {
    return {
      available: false,
      version: null,
      detail: 'The electron package is not installed (its install step downloads the Electron binary, which needs internet). Browser mode works without it.',
    };
  }
  try {
    const binary = requireHere('electron') as unknown as string;
    if (typeof binary === 'string' && existsSync(binary)) {
      return { available: true, version, detail: `Electron ${version} is installed: ${binary}` };
    }
  } catch {
    /* the package throws when its binary was never downloaded */
  }
  return {
    available: false,
    version,
    detail: `The electron ${version} package is installed without its binary (download skipped or failed). Reinstall with internet access to use the desktop window; browser mode works meanwhile.`,
  };
}

export async function detectTfjs(): Promise<Capabilities['tfjs']> {
  try {
    const rt = await loadTf();
    return { available: true, version: rt.version, backend: rt.backend, detail: rt.detail };
  } catch (err) {
    return { available: false, version: packageVersion('@tensorflow/tfjs'), backend: null, detail: describeMissing(err, '@tensorflow/tfjs') };
  }
}

export function detectOnnxRuntime(): Capabilities['onnxruntime'] {
  try {
    const ort = requireHere('onnxruntime-node') as typeof import('onnxruntime-node');
    const backends = ort.listSupportedBackends() as { name: string; bundled: boolean }[];
    const providers = backends.filter((b) => b.bundled).map((b) => b.name);
    const missing = backends.filter((b) => !b.bundled).map((b) => b.name);
    return {
      available: true,
      version: ort.env.versions.node ?? packageVersion('onnxruntime-node'),
      executionProviders: providers,
      detail: `onnxruntime-node with execution providers ${providers.join(', ')}` + (missing.length ? ` (not installed: ${missing.join(', ')}).` : '.'),
    };
  } catch (err) {
    return { available: false, version: packageVersion('onnxruntime-node'), executionProviders: [], detail: describeMissing(err, 'onnxruntime-node') };
  }
}

export function cpuCount(): number {
  return cpus().length;
}

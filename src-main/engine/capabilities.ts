import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
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

/**
 * Electron: the shell says when the engine runs inside it (its version); otherwise whether the
 * package is installed and its binary downloaded (read from the package's own path.txt, as its
 * index.js does, without loading it).
 */
export function detectElectron(runningIn?: string): ComponentStatus {
  if (runningIn) return { available: true, version: runningIn, detail: `Running inside Electron ${runningIn}.` };
  const version = packageVersion('electron');
  if (!version) {
    return {
      available: false,
      version: null,
      detail: 'The electron package is not installed (its install step downloads the Electron binary, which needs internet). Browser mode works without it.',
    };
  }
  try {
    const dir = dirname(requireHere.resolve('electron/package.json'));
    const binary = join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8').trim());
    if (existsSync(binary)) return { available: true, version, detail: `Electron ${version} is installed: ${binary}` };
  } catch {
    /* no path.txt: the binary was never downloaded */
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

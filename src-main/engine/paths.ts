import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Electron's app name for userData; the CLI and browser mode use the same folder. */
export const APP_NAME = 'Inverse Design Workbench';
export const DATABASE_FILE = 'workbench.sqlite';

/** Electron's appData for this platform (app.getPath('appData')). */
function appDataDir(): string {
  if (process.platform === 'win32') return process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support');
  return process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
}

/** --data-dir, else IDW_DATA_DIR, else Electron's userData for this app. */
export function resolveDataDir(explicit?: string | null): string {
  if (explicit) return resolve(explicit);
  if (process.env.IDW_DATA_DIR) return resolve(process.env.IDW_DATA_DIR);
  return join(appDataDir(), APP_NAME);
}

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

/** Files of one project (models, checkpoints, exports) live here and go with it. */
export function projectDir(dataDir: string, projectId: number): string {
  return join(dataDir, 'projects', String(projectId));
}

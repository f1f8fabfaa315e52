import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IPC_EVENT, IPC_INVOKE } from '../../src-shared/api';
import { createHandlers } from '../api/handlers';
import { dispatch } from '../api/dispatch';
import { resolveDataDir } from '../engine/paths';
import { Workbench } from '../engine/workbench';
import { electronSqliteBinding } from './native';
import { APP_SCHEME, isAllowedExternal, isAppUrl, RENDERER_URL, rendererFile } from './security';

// Electron main: hosts the engine and its job workers, serves the API over IPC to a sandboxed
// renderer. The renderer has no Node; the preload only forwards.

const argDataDir = process.argv.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
const dataDir = resolveDataDir(argDataDir);
app.setPath('userData', dataDir);

let workbench: Workbench | null = null;
const rendererDir = join(__dirname, '../renderer');
// the renderer is served from app://workbench/, a standard secure scheme of our own (before ready)
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

/** app://workbench/<path> → the file in out/renderer, nothing outside it. */
function serveRenderer(): void {
  protocol.handle(APP_SCHEME, (request) => {
    const file = rendererFile(request.url, rendererDir);
    if (!file || !existsSync(file) || !statSync(file).isFile()) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    return net.fetch(pathToFileURL(file).href);
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 640,
    title: 'Inverse Design Workbench',
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(RENDERER_URL);
  return win;
}

function lockDown(): void {
  serveRenderer();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  app.on('web-contents-created', (_e, contents) => {
    // the app never navigates away from its own page nor opens windows; links go to the OS browser
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // only https links to the allowed origins go to the system browser
      if (isAllowedExternal(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

async function start(): Promise<void> {
  lockDown();
  // a packaged app's node_modules hold better-sqlite3 rebuilt for Electron (electron-builder's
  // npmRebuild); in development the Electron build sits beside the Node build the tests use
  const nativeBinding = app.isPackaged ? undefined : electronSqliteBinding();
  if (nativeBinding && !existsSync(nativeBinding)) {
    dialog.showErrorBox(
      'SQLite module not built for Electron',
      `The better-sqlite3 build for this Electron version is missing:\n${nativeBinding}\n\nStart the app with "npm start", which builds it.`,
    );
    app.exit(1);
    return;
  }
  workbench = new Workbench({
    dataDir,
    mode: 'electron',
    nativeBinding,
    seedBuiltin: true,
    electronVersion: process.versions.electron,
    // packaged: resources/ inside the app (read through asar, or its unpacked copy)
    ...(app.isPackaged ? { resourcesDir: join(app.getAppPath(), 'resources') } : {}),
  });
  const handlers = createHandlers(workbench);
  ipcMain.handle(IPC_INVOKE, (event, method: unknown, args: unknown) => {
    // only our own page may call the API
    if (!event.senderFrame || !isAppUrl(event.senderFrame.url)) {
      return { ok: false, error: { code: 'unauthorized', message: 'Calls are accepted from the workbench window only.' } };
    }
    return dispatch(handlers, String(method), args);
  });
  workbench.events.on((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) win.webContents.send(IPC_EVENT, name, payload);
  });
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
let closing = false;
app.on('before-quit', (event) => {
  if (closing || !workbench) return;
  event.preventDefault();
  closing = true;
  void workbench.close().finally(() => app.quit());
});

void app.whenReady().then(start).catch((err: unknown) => {
  dialog.showErrorBox('Inverse Design Workbench failed to start', err instanceof Error ? err.stack ?? err.message : String(err));
  app.exit(1);
});

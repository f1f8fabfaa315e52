import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE } from '../../src-shared/channels';
import type { IdwBridge } from '../../src-shared/bridge';

// Sandboxed preload: forwards calls and events, nothing else. Validation happens in main.
const bridge: IdwBridge = {
  transport: 'electron',
  invoke: (method, args) => ipcRenderer.invoke(IPC_INVOKE, method, args),
  onEvent(listener) {
    const handler = (_e: IpcRendererEvent, event: string, payload: unknown): void => listener(event, payload);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT, handler);
  },
};
contextBridge.exposeInMainWorld('idw', bridge);

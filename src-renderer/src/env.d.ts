/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

interface Window {
  /** present only inside Electron, where the preload exposes it */
  idw?: import('@shared/bridge').IdwBridge;
}

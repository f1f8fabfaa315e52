import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

// Three builds, as electron-vite lays them out: main (Node: Electron main, CLI, browser-mode
// server, job worker), preload (sandboxed, CommonJS, forwards only) and renderer (Vue).
// Rolldown's plugin-timing report (a warning block on every build) is turned off: it says only
// how long plugins took, not what to fix.
const checks = { bundlerTimings: false };
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        checks,
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          cli: resolve(__dirname, 'src-main/cli/idw.ts'),
          worker: resolve(__dirname, 'src-main/engine/jobs/worker.ts'),
          'compute-worker': resolve(__dirname, 'src-main/engine/compute/compute-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        checks,
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [vue()],
    resolve: { alias: { '@shared': resolve(__dirname, 'src-shared') } },
    build: {
      minify: true,
      outDir: resolve(__dirname, 'out/renderer'),
      rolldownOptions: { checks, input: resolve(__dirname, 'src-renderer/index.html') },
    },
  },
});

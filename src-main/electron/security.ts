// What the desktop app lets its window load and open, as plain functions (no Electron import)
// so tests can check them: the renderer is served from the app:// scheme, not file://, where
// the page's CSP 'self' would cover every local file; navigation stays on that origin; links
// open in the OS browser only for origins on an allow-list.
import { normalize, join, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
/** The origin the renderer is served from; its CSP 'self' means this and nothing else. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const RENDERER_URL = `${APP_ORIGIN}/index.html`;

/** https origins a link in the app may open in the system browser. */
export const EXTERNAL_ORIGINS: ReadonlySet<string> = new Set(['https://arxiv.org', 'https://github.com']);

function parsed(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Whether a URL is the app's own page (navigation, redirects and IPC senders are checked with it). */
export function isAppUrl(url: string): boolean {
  const u = parsed(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/** Whether a link may be handed to the OS browser: https, on an allowed origin, no credentials. */
export function isAllowedExternal(url: string): boolean {
  const u = parsed(url);
  return u !== null && u.protocol === 'https:' && u.username === '' && u.password === '' && EXTERNAL_ORIGINS.has(u.origin);
}

/**
 * The file under `rendererDir` an app:// request names, or null: another host, malformed
 * percent-encoding, or a path that leaves the folder (`..`, encoded or not).
 */
export function rendererFile(url: string, rendererDir: string): string | null {
  const u = parsed(url);
  if (!u || u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const root = normalize(rendererDir);
  const file = normalize(join(root, path === '/' ? 'index.html' : path));
  return file.startsWith(root + sep) ? file : null;
}

import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAllowedExternal, isAppUrl, RENDERER_URL, rendererFile } from '../../src-main/electron/security';

describe('desktop window lock-down', () => {
  const dir = join('/opt', 'idw', 'renderer');

  it('serves app://workbench/ paths from the renderer folder and nothing outside it', () => {
    expect(rendererFile(RENDERER_URL, dir)).toBe(join(dir, 'index.html'));
    expect(rendererFile('app://workbench/', dir)).toBe(join(dir, 'index.html'));
    expect(rendererFile('app://workbench/assets/index-abc.js', dir)).toBe(join(dir, 'assets', 'index-abc.js'));
    // the URL parser resolves plain and %2e dot segments itself: they stay inside the folder
    for (const url of ['app://workbench/../../etc/passwd', 'app://workbench/%2e%2e/%2e%2e/etc/passwd']) {
      const file = rendererFile(url, dir);
      expect(file === null || file.startsWith(dir + sep), url).toBe(true);
    }
    for (const url of [
      'app://workbench/assets/..%2f..%2f..%2fetc%2fpasswd',
      'app://workbench/%',
      'app://workbench/a%00.js',
      'app://other/index.html',
      'file:///opt/idw/renderer/index.html',
      'https://workbench/index.html',
      'not a url',
    ]) {
      expect(rendererFile(url, dir), url).toBeNull();
    }
  });

  it('keeps navigation, redirects and IPC senders on the app origin', () => {
    expect(isAppUrl(RENDERER_URL)).toBe(true);
    expect(isAppUrl('app://workbench/index.html#/projects/1')).toBe(true);
    for (const url of ['file:///opt/idw/renderer/index.html', 'app://evil/index.html', 'https://example.com', 'http://127.0.0.1:3000', 'javascript:alert(1)', '']) expect(isAppUrl(url), url).toBe(false);
  });

  it('opens only https links on allowed origins in the system browser', () => {
    expect(isAllowedExternal('https://arxiv.org/abs/2309.02040')).toBe(true);
    expect(isAllowedExternal('https://github.com/some/repo')).toBe(true);
    for (const url of ['http://arxiv.org/abs/1', 'https://arxiv.org.evil.com/x', 'https://user:pw@arxiv.org/', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'https://example.com', 'ms-msdt:/id', '']) {
      expect(isAllowedExternal(url), url).toBe(false);
    }
  });
});

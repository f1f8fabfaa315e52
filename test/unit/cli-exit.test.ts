// `idw` exit codes as the README states them: 0 for success and help, 2 for bad input of any kind
// (a value commander cannot parse, an unknown command, a request the API refuses), 3 for a thing
// that does not exist. Runs the CLI's source with tsx in a child process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const root = join(__dirname, '..', '..');
const dir = tempDir();
afterAll(() => dir.remove());

function idw(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src-main', 'cli', 'idw.ts'), '--data-dir', dir.path, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('idw exit codes', () => {
  it('exits 2 with the reason for a value it cannot parse, an unknown command and a refused request; 0 for help; 3 for a missing project', () => {
    const badNumber = idw('project', 'create', '--name', 'X', '--joints', 'twelve');
    expect(badNumber.code).toBe(2);
    expect(badNumber.out).toMatch(/--joints must be an integer, got "twelve"/);
    const badDesign = idw('simulate', '--project', 'X', '--design', 'a,b');
    expect(badDesign.code).toBe(2);
    expect(badDesign.out).toMatch(/entry 1 \("a"\) is not a number/);
    const unknown = idw('nosuchcommand');
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/unknown command 'nosuchcommand'/);
    const refused = idw('project', 'create', '--name', 'X', '--joints', '99');
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/joints/);
    expect(idw('--help').code).toBe(0);
    expect(idw('project', 'show', 'Nope').code).toBe(3);
  }, 120_000);
});

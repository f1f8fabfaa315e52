import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from './storage/database';
import { OwnerStore, type OwnerRow } from './storage/owners';

export type { OwnerRow } from './storage/owners';

// Who owns the work in a shared data folder. The desktop app, `idw` commands and browser mode
// open the same database at once, so "queued or running at start-up" no longer means "left by a
// crash": each open workbench registers an owner row (pid, host, a random token) and refreshes
// its heartbeat every few seconds from an unref'd timer; jobs and imports in progress carry the
// token. Work is orphaned only when its owner is gone: its row missing (closed, or reclaimed),
// its pid no longer alive on this host, or its heartbeat older than the grace period (another
// host, or a reused pid). Like Optuna's trial heartbeats, a stale owner is declared dead once
// and its row removed, so it stays dead.

export const HEARTBEAT_INTERVAL_MS = 3000;
/** five missed heartbeats: a busy main thread may wait up to busy_timeout (10 s) for the write lock */
export const HEARTBEAT_GRACE_MS = 15_000;

export interface OwnershipOptions {
  mode: string;
  intervalMs?: number;
  graceMs?: number;
}

/** Whether a process id is alive on this machine (EPERM: alive, owned by another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class Ownership {
  readonly token = randomUUID();
  readonly pid = process.pid;
  readonly host = hostname();
  readonly intervalMs: number;
  readonly graceMs: number;
  private lastBeat = 0;
  private readonly owners: OwnerStore;

  constructor(
    db: Db,
    private readonly opts: OwnershipOptions,
  ) {
    this.owners = new OwnerStore(db);
    this.intervalMs = opts.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.graceMs = opts.graceMs ?? Math.max(HEARTBEAT_GRACE_MS, 3 * this.intervalMs);
    this.register();
  }

  private register(): void {
    const now = Date.now();
    this.owners.register({ token: this.token, pid: this.pid, host: this.host, mode: this.opts.mode, started_at: now, heartbeat_at: now });
    this.lastBeat = now;
  }

  /**
   * Refreshes this owner's heartbeat. Returns false when the previous beat is older than the grace
   * period (the machine slept, or the main thread was blocked): the caller should not judge other
   * owners on this tick, whose timers were stopped as long as ours.
   */
  beat(): boolean {
    const now = Date.now();
    const awake = now - this.lastBeat <= this.graceMs;
    const changed = this.owners.beat(this.token, now);
    // another process judged us dead (a long stall): register again, so what we start from now on is ours
    if (!changed) {
      console.warn(`[workbench] this process (pid ${this.pid}) was taken for dead by another one after a stall; its earlier jobs may show as interrupted.`);
      this.register();
    }
    this.lastBeat = now;
    return awake;
  }

  alive(o: OwnerRow, now = Date.now()): boolean {
    if (o.token === this.token) return true;
    if (o.host === this.host && !pidAlive(o.pid)) return false;
    return now - o.heartbeat_at <= this.graceMs;
  }

  /** Removes the rows of owners that are gone; returns how many. Their work is then orphaned. */
  removeDeadOwners(): number {
    const now = Date.now();
    const dead = this.owners.all().filter((o) => !this.alive(o, now));
    if (!dead.length) return 0;
    // the heartbeat read goes with each delete: an owner that beat since we read it stays
    return this.owners.removeUnchanged(dead);
  }

  /** The live owner of a token, or null when it is gone. */
  liveOwner(token: string | null): OwnerRow | null {
    if (!token) return null;
    const row = this.owners.get(token);
    return row && this.alive(row) ? row : null;
  }

  /** "process 1234 on host-a (idw cli, heartbeat 2 s ago)" */
  describe(o: OwnerRow): string {
    const self = o.token === this.token ? ', this process' : '';
    const ago = Math.max(0, Math.round((Date.now() - o.heartbeat_at) / 1000));
    const mode = o.mode === 'cli' ? 'idw command' : o.mode === 'browser' ? 'idw serve (browser mode)' : o.mode === 'electron' ? 'desktop app' : o.mode;
    return `process ${o.pid} on ${o.host} (${mode}${self}, heartbeat ${ago} s ago)`;
  }

  /** This owner's row goes: what it left queued or running becomes an orphan for the next reclaim. */
  release(): void {
    this.owners.delete(this.token);
  }
}

import { MetaStore } from './meta';
import type { Db } from './database';

/**
 * Settings of the whole workbench (every project of this data folder), kept in the meta table:
 * the Redis URL of the ground-truth queue (compute/queue.ts), null when rollouts run locally.
 */
export class AppSettings {
  private readonly meta: MetaStore;
  constructor(db: Db) {
    this.meta = new MetaStore(db);
  }

  redisUrl(): string | null {
    const v = this.meta.get('queue.redis_url');
    return v ? v : null;
  }

  setRedisUrl(url: string | null): void {
    this.meta.set('queue.redis_url', url ?? '');
  }
}

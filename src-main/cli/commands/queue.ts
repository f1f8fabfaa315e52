import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import type { QueueStatus } from '../../../src-shared/api';
import { ApiError } from '../../../src-shared/errors';
import { call, intOption, print, program, withWorkbench } from '../context';

// `idw worker` runs ground-truth batches from a Redis queue on this machine; `idw queue` sets the
// queue a data folder's jobs send their batches to, and shows it (engine/compute/queue.ts).

/** The queue's status as lines (idw queue status, idw doctor). */
export function describeQueue(q: QueueStatus): string[] {
  const lines = [`${q.url === null ? '-   ' : q.reachable ? 'ok  ' : 'no  '}Queue          ${q.detail}`];
  if (q.counts) {
    const c = q.counts;
    const rate = q.batchesPerMinute === null ? '' : `, ${q.batchesPerMinute.toFixed(1)} batches/min over 15 min`;
    lines.push(`    batches        ${c.waiting} waiting, ${c.active} running, ${c.completed} completed, ${c.failed} failed${rate}`);
  }
  for (const w of q.workers) lines.push(`    worker         ${w.name}: ${w.designs} designs run`);
  return lines;
}

export function registerQueueCommands(): void {
  program
    .command('worker')
    .description('run ground-truth batches from a Redis queue on this machine (never opens a project database); Ctrl+C stops it')
    .requiredOption('--redis <url>', 'the queue: redis://[user:password@]host:port[/db], or rediss://… for TLS')
    .option('--concurrency <n>', `batches at once, one core each (default: the cores, ${availableParallelism()})`, intOption('--concurrency'))
    .action(async (o: { redis: string; concurrency?: number }) => {
      if (o.concurrency !== undefined && o.concurrency < 1) throw new InvalidArgumentError('--concurrency must be at least 1.');
      const { checkRedisUrl } = await import('../../engine/compute/queue-protocol');
      try {
        checkRedisUrl(o.redis);
      } catch (err) {
        throw new ApiError('invalid_argument', (err as Error).message);
      }
      const { startQueueWorker } = await import('../../engine/compute/queue-worker');
      let handle;
      try {
        handle = await startQueueWorker({ url: o.redis, concurrency: o.concurrency ?? availableParallelism() });
      } catch (err) {
        throw new ApiError('unavailable', `Could not start the worker: ${(err as Error).message}`);
      }
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        console.log(`[worker ${handle.name}] stopping after its running batches (${handle.stats.designs} designs in ${handle.stats.batches} batches, ${handle.stats.refused} refused)`);
        void handle.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });

  const queue = program.command('queue').description('the Redis queue that sends ground-truth batches to idw worker processes');
  queue
    .command('status')
    .description('the queue, its workers and their throughput')
    .action(() =>
      withWorkbench(async (wb) => {
        const q = await call(wb, 'queue.status', {});
        print(describeQueue(q).join('\n'), q);
      }),
    );
  queue
    .command('set <url>')
    .description('send the ground-truth batches of jobs started from now on to this queue (falls back to the local pool when unreachable)')
    .action((url: string) =>
      withWorkbench(async (wb) => {
        const q = await call(wb, 'queue.configure', { redisUrl: url });
        print(describeQueue(q).join('\n'), q);
      }),
    );
  queue
    .command('disable')
    .description('run ground-truth rollouts on the local pool again')
    .action(() =>
      withWorkbench(async (wb) => {
        const q = await call(wb, 'queue.disable', {});
        print(describeQueue(q).join('\n'), q);
      }),
    );
}

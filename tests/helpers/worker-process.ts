// A worker process built exactly like src/main/worker.ts, except that it also registers the
// test adapter (which records what it "sends" in Redis). The multi-process tests (limits under
// load, chaos) start several of these with `node --import tsx`, and kill them at will.
import { createCoreServices } from '../../src/app/services.js';
import { startVideoWorker } from '../../src/worker/worker.js';
import { boot, onShutdown, requireRedisUrl } from '../../src/main/boot.js';
import { chatAdapters } from '../../bots/index.js';
import { createTestAdapter } from './test-adapter.js';
import { closeSharedParserPool, sharedParserPool } from '../../pipeline/pdf/parser-pool.js';

const { config, logger } = boot('worker');
const redisUrl = requireRedisUrl('worker', config);
const services = createCoreServices(config, logger, { role: 'worker', redisUrl });
sharedParserPool({ parsesPerChild: config.parsesPerParser });
const env = process.env;
const running = startVideoWorker(
  services,
  { ...chatAdapters(services), test: createTestAdapter({ redis: services.redis, prefix: config.redisPrefix }) },
  {
    lockDuration: Number(env.TEST_LOCK_MS ?? 30_000),
    stalledInterval: Number(env.TEST_STALLED_MS ?? 30_000),
    slotRecheckMs: Number(env.TEST_SLOT_RECHECK_MS ?? 30_000),
  },
);
onShutdown(
  logger,
  async () => {
    await running.close(Number(env.TEST_CLOSE_MS ?? 25_000));
    await closeSharedParserPool();
    await services.close();
  },
  config.shutdownTimeoutSeconds * 1000,
);
await running.worker.waitUntilReady();
logger.info({ event: 'worker_started', pid: process.pid }, 'test worker started');

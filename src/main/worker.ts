// The worker process: runs video jobs from the queue.
import { createCoreServices } from '../app/services.js';
import { startVideoWorker } from '../worker/worker.js';
import { chatAdapters } from '../../bots/index.js';
import { createOps } from '../ops/wiring.js';
import { videoKeeperFrom } from '../storage/keeper.js';
import { closeSharedParserPool, sharedParserPool } from '../../pipeline/pdf/parser-pool.js';
import { boot, checkRedisAtStart, onShutdown, requireRedisUrl } from './boot.js';

const { config, logger, logTap } = boot('worker');
const redisUrl = requireRedisUrl('worker', config);
await checkRedisAtStart('worker', config, redisUrl, logger);
const services = createCoreServices(config, logger, { role: 'worker', redisUrl });
// Start the PDF parsers now, so the first job does not wait for Node and pdf.js to load. A
// parser serves several PDFs: starting one per PDF made parsing the bottleneck under load
// (BENCHMARKS.md, scale run). Each parse keeps its own time and memory budget.
sharedParserPool({ parsesPerChild: config.parsesPerParser });
// Budgets before paid steps, costs and metrics; the metrics reach the web's /metrics via Redis.
const ops = createOps(services, { role: 'worker', logTap });
const running = startVideoWorker(services, chatAdapters(services), { ...ops.workerOptions(), keeper: videoKeeperFrom(services) });
ops.start();
logger.info(
  {
    event: 'worker_started',
    concurrency: config.workerConcurrency,
    script: services.writer.name,
    video: services.renderer.name,
  },
  'worker started',
);

const deadlineMs = config.shutdownTimeoutSeconds * 1000;
onShutdown(
  logger,
  async () => {
    // Running jobs get most of the deadline; leave a few seconds to close connections.
    await running.close(Math.max(1000, deadlineMs - 4000));
    await closeSharedParserPool();
    await ops.close();
    await services.close();
  },
  deadlineMs,
);

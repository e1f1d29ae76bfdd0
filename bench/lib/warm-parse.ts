// What the parsing benches share: run one parse in a pool child that was started (warm) before
// the clock starts, and report its wall time and the child's peak RSS (polled from /proc).
import { ParserPool, rssMb } from '../../pipeline/pdf/parser-pool.js';

/**
 * `maxMemoryMb` is the pool's own limit: a parse must ask for the same one, or the pool starts a
 * fresh (cold) child for it and the measure is no longer of a warm parser.
 */
export async function inWarmChild<T>(
  maxMemoryMb: number,
  parse: (pool: ParserPool) => Promise<T>,
): Promise<{ ms: number; peakMb: number; result: T }> {
  const pool = new ParserPool({ slots: 1, maxMemoryMb }).warm();
  await pool.ready();
  let peakMb = 0;
  const poll = setInterval(() => {
    for (const pid of pool.pids()) void rssMb(pid).then((mb) => (peakMb = Math.max(peakMb, mb ?? 0)));
  }, 10);
  try {
    const t = performance.now();
    const result = await parse(pool);
    return { ms: performance.now() - t, peakMb, result };
  } finally {
    clearInterval(poll);
    await pool.close();
  }
}

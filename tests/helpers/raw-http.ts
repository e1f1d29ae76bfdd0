// HTTP/1.1 over a plain TCP socket (node:net), so malformed request lines, broken headers and
// slow or oversized bodies really go out as written; fetch() would refuse or repair them.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** The status of the first response, if one came. */
  status: number | undefined;
  /** Everything the server sent. */
  text: string;
  /** Whether the server closed the connection (rather than we). */
  closedByServer: boolean;
}

function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Whether `text` holds one complete response (head plus Content-Length or chunked body). */
function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const body = text.slice(end + 4);
  const len = /\r\ncontent-length: *(\d+)/.exec(head);
  if (len) return Buffer.byteLength(body) >= Number(len[1]);
  if (/\r\ntransfer-encoding: *chunked/.test(head)) return body.includes('0\r\n\r\n');
  return /^http\/1\.[01] (1\d\d|204|304)/.test(head);
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Send `data` and wait for one whole response or for the server to close. Rejects after
 * `timeoutMs` without either (a request the server never answers).
 */
export async function rawRequest(port: number, data: string | Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  const socket = await openSocket(port);
  return new Promise((resolve, reject) => {
    let text = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: statusOf(text), text, closedByServer });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(data).slice(0, 120))}`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (complete(text)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(data);
  });
}

/**
 * Send `head`, then `total` bytes of body as fast as the server takes them, in `chunked` encoding
 * or as they are (when the head has a Content-Length), until the server answers or closes.
 * Returns the answer and how many body bytes were handed to the socket.
 */
export async function streamBody(
  port: number,
  head: string,
  opts: { total: number; chunked: boolean; chunkBytes?: number; timeoutMs?: number },
): Promise<RawAnswer & { written: number }> {
  const socket = await openSocket(port);
  const chunk = Buffer.alloc(opts.chunkBytes ?? 64 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    let text = '';
    let written = 0;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: statusOf(text), text, closedByServer, written });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new Error(`no answer within ${opts.timeoutMs ?? 15_000} ms`));
    }, opts.timeoutMs ?? 15_000);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (complete(text)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const pump = () => {
      while (!done && text === '' && written < opts.total) {
        const part = chunk.subarray(0, Math.min(chunk.length, opts.total - written));
        written += part.length;
        let ok: boolean;
        if (opts.chunked) {
          socket.write(`${part.length.toString(16)}\r\n`);
          socket.write(part);
          ok = socket.write('\r\n');
        } else {
          ok = socket.write(part);
        }
        if (!ok) return void socket.once('drain', pump);
      }
      if (!done && text === '' && written >= opts.total && opts.chunked) socket.write('0\r\n\r\n');
    };
    socket.write(head);
    pump();
  });
}

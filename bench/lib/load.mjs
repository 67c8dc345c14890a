// A small HTTP/1.1 load generator on raw keep-alive sockets (no dependencies), so each benchmark is
// one node command. Requests are written as prebuilt bytes and answers parsed by Content-Length only:
// Node's http client costs ~100 µs of CPU per request, which on a 2-core machine is taken from the
// server under test and shows up as latency of its own.
import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection that sends a request and waits for its answer before the next. */
class Connection {
  constructor(target) {
    this.socket = net.connect({ host: target.hostname, port: Number(target.port) });
    this.socket.setNoDelay(true);
    this.buffer = Buffer.alloc(0);
    this.waiting = undefined;
    this.socket.on('data', (chunk) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    const fail = (error) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      this.closed = true;
      waiting?.reject(error ?? new Error('connection closed'));
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail());
  }

  send(bytes) {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  parse() {
    const headerEnd = this.buffer.indexOf(HEADER_END);
    if (headerEnd < 0 || !this.waiting) return;
    const head = this.buffer.subarray(0, headerEnd).toString('latin1');
    const status = Number(head.slice(9, 12));
    const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!match) throw new Error(`answer without Content-Length: ${head.slice(0, 200)}`);
    const length = Number(match[1]);
    const total = headerEnd + 4 + length;
    if (this.buffer.length < total) return;
    const text = this.buffer.subarray(headerEnd + 4, total).toString('utf8');
    this.buffer = this.buffer.subarray(total);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve({ status, text });
  }

  close() {
    this.socket.destroy();
  }
}

export function requestBytes(target, method, headers, body) {
  const lines = [`${method} ${target.pathname}${target.search} HTTP/1.1`, `host: ${target.host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  if (body !== undefined) lines.push(`content-length: ${payload.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

export function percentile(sortedMs, fraction) {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(sortedMs.length * fraction))];
}

function summary(latencies, errors, elapsedMs, extra = {}) {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    seconds: elapsedMs / 1000,
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    ...extra,
  };
}

/**
 * Closed loop: `connections` workers each send the next request as soon as the previous answered.
 * `makeBody(i)` builds request i, `makeHeaders(i, body)` any headers of its own (a signature);
 * `check(response)` may throw to count an error. It stops after `durationMs`, or `total` requests.
 */
export async function closedLoop({
  url,
  method = 'POST',
  headers = {},
  makeBody,
  makeHeaders,
  connections,
  durationMs,
  total = Number.POSITIVE_INFINITY,
  check,
}) {
  const target = new URL(url);
  const latencies = [];
  let errors = 0;
  let index = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const pool = [];
  await Promise.all(
    Array.from({ length: connections }, async () => {
      let connection = new Connection(target);
      pool.push(connection);
      while (performance.now() < deadline && index < total) {
        const requestIndex = index++;
        const body = makeBody ? makeBody(requestIndex) : undefined;
        const own = makeHeaders ? makeHeaders(requestIndex, body) : {};
        const requestHeaders = body
          ? { 'content-type': 'application/json', ...headers, ...own }
          : { ...headers, ...own };
        const bytes = requestBytes(target, method, requestHeaders, body);
        const sentAt = performance.now();
        try {
          if (connection.closed) {
            connection = new Connection(target);
            pool.push(connection);
          }
          const response = await connection.send(bytes);
          if (response.status >= 400)
            throw new Error(`HTTP ${response.status}: ${response.text.slice(0, 200)}`);
          check?.(response);
          latencies.push(performance.now() - sentAt);
        } catch (error) {
          errors += 1;
          if (errors === 1) console.error(String(error));
        }
      }
    }),
  );
  const elapsed = performance.now() - started;
  for (const connection of pool) connection.close();
  return summary(latencies, errors, elapsed);
}

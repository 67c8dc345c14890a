// A small HTTP load generator (keep-alive, no dependencies), so each benchmark is one node command.
import http from 'node:http';

function send(agent, target, method, headers, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method, headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode, text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
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
 * `makeBody(i)` builds request i; `check(response)` may throw to count an error.
 */
export async function closedLoop({ url, method = 'POST', headers = {}, makeBody, connections, durationMs, check }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let errors = 0;
  let index = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const body = makeBody ? makeBody(index++) : undefined;
        const requestHeaders = body ? { 'content-type': 'application/json', ...headers } : headers;
        const sentAt = performance.now();
        try {
          const response = await send(agent, target, method, requestHeaders, body);
          if (response.status >= 400) throw new Error(`HTTP ${response.status}: ${response.text.slice(0, 200)}`);
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
  agent.destroy();
  return summary(latencies, errors, elapsed);
}

/**
 * Open loop at a fixed rate: requests leave on schedule whatever the answers do, and latency is
 * measured from the scheduled time, so a stall is not hidden (no coordinated omission).
 */
export async function fixedRate({ url, method = 'POST', headers = {}, makeBody, rate, durationMs, maxSockets = 256 }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const latencies = [];
  const pending = [];
  let errors = 0;
  const total = Math.floor((rate * durationMs) / 1000);
  const started = performance.now();
  for (let index = 0; index < total; index += 1) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const body = makeBody ? makeBody(index) : undefined;
    const requestHeaders = body ? { 'content-type': 'application/json', ...headers } : headers;
    pending.push(
      send(agent, target, method, requestHeaders, body).then(
        (response) => {
          if (response.status >= 400) errors += 1;
          else latencies.push(performance.now() - due);
        },
        () => {
          errors += 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsed = performance.now() - started;
  agent.destroy();
  return summary(latencies, errors, elapsed, { targetRate: rate });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './private-postgres.js';

/** Where Debian's haproxy package installs it (.ci/run installs it when missing). */
export const HAPROXY = '/usr/sbin/haproxy';
export const haproxyAvailable = existsSync(HAPROXY);
export const NEEDS_HAPROXY = `needs HAProxy at ${HAPROXY} (Debian's haproxy package; .ci/run installs it)`;

/**
 * The configuration docs/scaling.md shows: round-robin over the servers, each request balanced on its
 * own, a server taken out while GET /readyz fails.
 */
export function haproxyConfig(port: number, servers: string[]): string {
  const lines = [
    'global',
    '  maxconn 2000',
    '',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout check 5s',
    '',
    'frontend tollgate',
    `  bind 127.0.0.1:${port}`,
    '  default_backend tollgate_servers',
    '',
    'backend tollgate_servers',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    ...servers.map((server, index) => `  server tollgate${index + 1} ${server} check inter 2s fall 3 rise 1`),
    '',
  ];
  return lines.join('\n');
}

export type Haproxy = { url: string; config: string; stop(): Promise<void> };

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** HAProxy in the foreground with a generated configuration in a temporary directory of its own. */
export async function startHaproxy(servers: string[]): Promise<Haproxy> {
  const directory = await mkdtemp(path.join(tmpdir(), 'tollgate-haproxy-'));
  const port = await freePort();
  const config = haproxyConfig(port, servers);
  const file = path.join(directory, 'haproxy.cfg');
  await writeFile(file, config);
  let output = '';
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(directory, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) break;
    if (await accepting(port)) return { url: `http://127.0.0.1:${port}`, config, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`haproxy did not start:\n${output}`);
}

// A PostgreSQL 15 cluster of a benchmark's own, in a temporary directory on a free port, so that a long
// run is measured on settings chosen for it and nobody else's load (or checkpoints) falls into it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execute = promisify(execFile);
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
const asRoot = userInfo().uid === 0;

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user. */
function postgresProgram(program, args) {
  const binary = path.join(POSTGRES_BIN, program);
  return asRoot ? execute('runuser', ['-u', 'postgres', '--', binary, ...args]) : execute(binary, args);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Creates and starts the cluster with `settings` (name → value, given to postgres as -c options).
 * Returns its `url` (user postgres, database postgres, trust auth), the `settings`, `log()` (the server
 * log so far) and `destroy()`: stops it at once and deletes the directory; safe to call twice.
 * `onDestroy(destroy)` is called as soon as the directory exists, so that a caller interrupted during
 * initdb or start-up can still remove it.
 */
export async function startPrivatePostgres(settings, onDestroy = () => {}) {
  for (const program of ['initdb', 'pg_ctl']) {
    if (!existsSync(path.join(POSTGRES_BIN, program))) throw new Error(`no ${program} in ${POSTGRES_BIN}`);
  }
  const root = await mkdtemp(path.join(tmpdir(), 'tollgate-soak-postgres-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    await postgresProgram('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  onDestroy(destroy);
  try {
    if (asRoot) {
      const { stdout: user } = await execute('id', ['-u', 'postgres']);
      const { stdout: group } = await execute('id', ['-g', 'postgres']);
      await chown(root, Number(user), Number(group));
    }
    await postgresProgram('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${root}`,
      '-c listen_addresses=127.0.0.1',
      ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
    ].join(' ');
    await postgresProgram('pg_ctl', ['-D', dataDir, '-o', options, '-l', logFile, '-w', 'start']);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      settings,
      log: () => readFile(logFile, 'utf8').catch(() => ''),
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian installs PostgreSQL 15's server programs. */
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';

const asRoot = userInfo().uid === 0;

/** Whether a private PostgreSQL can be started here: its programs, and a way to run them as non-root. */
export const privatePostgresAvailable =
  existsSync(path.join(POSTGRES_BIN, 'initdb')) &&
  existsSync(path.join(POSTGRES_BIN, 'pg_ctl')) &&
  (!asRoot || existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser'));

export const NEEDS_PRIVATE_POSTGRES = `needs PostgreSQL 15's initdb and pg_ctl in ${POSTGRES_BIN} (and runuser when run as root): faults are made on a private server, never the shared one`;

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
function postgresCommand(program: string, args: string[]) {
  const binary = path.join(POSTGRES_BIN, program);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', binary, ...args]) : run(binary, args);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export type PrivatePostgres = {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** `pg_ctl stop -m fast`: sessions are ended (admin shutdown), the server stops. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server at once and deletes its data directory. */
  destroy(): Promise<void>;
};

/**
 * A PostgreSQL server of the test's own, in a fresh data directory under the temporary directory,
 * on a free port: the test may stop and start it without touching anyone else's database.
 */
export async function startPrivatePostgres(
  options: {
    /** Where pg_wal lives (initdb -X), e.g. on a small file system of the test's own; an empty or new directory. */
    walDir?: string;
  } = {},
): Promise<PrivatePostgres> {
  const root = await mkdtemp(path.join(tmpdir(), 'tollgate-faults-'));
  const dataDir = path.join(root, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(group.trim()));
  }
  const port = await freePort();
  await postgresCommand('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
    ...(options.walDir ? ['-X', options.walDir] : []),
  ]);
  const serverOptions = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c max_connections=60',
  ].join(' ');
  const pgCtl = (...args: string[]) => postgresCommand('pg_ctl', ['-D', dataDir, ...args]);
  const start = async () => {
    await pgCtl('-o', serverOptions, '-l', path.join(root, 'server.log'), '-w', 'start');
  };
  await start();
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pgCtl('-m', 'fast', '-w', 'stop');
    },
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

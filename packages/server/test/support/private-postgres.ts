import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
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

/** Whether a streaming replica of a private server can be made here too. */
export const streamingReplicaAvailable =
  privatePostgresAvailable && existsSync(path.join(POSTGRES_BIN, 'pg_basebackup'));

export const NEEDS_STREAMING_REPLICA = `needs PostgreSQL 15's initdb, pg_ctl and pg_basebackup in ${POSTGRES_BIN} (and runuser when run as root)`;

export const NEEDS_PRIVATE_POSTGRES = `needs PostgreSQL 15's initdb and pg_ctl in ${POSTGRES_BIN} (and runuser when run as root): faults are made on a private server, never the shared one`;

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
function postgresCommand(program: string, args: string[]) {
  const binary = path.join(POSTGRES_BIN, program);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', binary, ...args]) : run(binary, args);
}

export async function freePort(): Promise<number> {
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
  port: number;
  /** `pg_ctl stop -m fast`: sessions are ended (admin shutdown), the server stops. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server at once and deletes its data directory. */
  destroy(): Promise<void>;
};

export type PrivatePostgresOptions = {
  /** Lets streaming replicas connect (wal_level=replica, WAL senders, a replication line in pg_hba.conf). */
  replication?: boolean;
  /** Where pg_wal lives (initdb -X), e.g. on a small file system of the test's own; an empty or new directory. */
  walDir?: string;
};

/** A directory under the temporary directory that the `postgres` user owns when the tests run as root. */
async function serverRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(group.trim()));
  }
  return root;
}

/** Runs (and controls) the server of `dataDir` on `port`, its socket and log in `root`. */
async function runServer(root: string, dataDir: string, port: number, settings: string[]) {
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    // A hot standby needs at least the primary's max_connections: the same for every private server.
    '-c max_connections=100',
    ...settings,
  ].join(' ');
  const pgCtl = (...args: string[]) => postgresCommand('pg_ctl', ['-D', dataDir, ...args]);
  const start = async () => {
    await pgCtl('-o', options, '-l', path.join(root, 'server.log'), '-w', 'start');
  };
  await start();
  let destroyed = false;
  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
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
  return server;
}

/**
 * A PostgreSQL server of the test's own, in a fresh data directory under the temporary directory,
 * on a free port: the test may stop and start it without touching anyone else's database.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const root = await serverRoot('tollgate-faults-');
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  try {
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
    if (options.replication) {
      // initdb's default file already has such lines; written out so that the test does not rely on it.
      await appendFile(path.join(dataDir, 'pg_hba.conf'), '\nhost replication postgres 127.0.0.1/32 trust\n');
    }
    const replicationSettings = options.replication
      ? ['-c wal_level=replica', '-c max_wal_senders=5', '-c wal_keep_size=256MB']
      : [];
    return await runServer(root, dataDir, port, replicationSettings);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A hot standby of `primary` (started with `replication: true`): `pg_basebackup -R` copies it and
 * writes the standby settings, and the copy streams the primary's WAL on a port of its own.
 */
export async function startStreamingReplica(primary: PrivatePostgres): Promise<PrivatePostgres> {
  const root = await serverRoot('tollgate-replica-');
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  try {
    await postgresCommand('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    return await runServer(root, dataDir, port, ['-c hot_standby=on']);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

import { connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { skipUnless } from '../../../test-support/skips.js';
import { type DatabaseHandle, openDatabase } from '../src/db/client.js';
import { withTransaction } from '../src/db/transaction.js';
import { NEEDS_POSTGRES, testDatabaseUrl } from './support/databases.js';

/**
 * A TCP relay to PostgreSQL that can drop a connection when the client sends a given text on it: the
 * statement is sent and the connection ends under it, as when a server restart killed an idle pooled
 * connection that the pool had not noticed yet.
 */
async function startRelay(target: URL) {
  let dropOn: string | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (dropOn !== undefined && chunk.includes(dropOn)) {
        dropOn = undefined;
        drop();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: url.toString(),
    /** The next connection to carry `text` from the client is dropped instead of passing it on. */
    dropWhenSent(text: string) {
      dropOn = text;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe(
  'a transaction whose connection dies [postgres]',
  skipUnless(testDatabaseUrl, NEEDS_POSTGRES),
  () => {
    let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
    let database: DatabaseHandle | undefined;

    afterEach(async () => {
      await database?.close();
      await relay?.close();
      database = undefined;
      relay = undefined;
    });

    /** A pool of one connection, through the relay, opened and idle. */
    const openThroughRelay = async () => {
      relay = await startRelay(new URL(testDatabaseUrl as string));
      database = await openDatabase({ databaseUrl: relay.url, poolSize: 1, connectTimeoutMs: 2_000 });
      await database.db.execute(sql`select 1`);
      return { relay, database };
    };
    const transactionAnswers = (handle: DatabaseHandle) =>
      withTransaction(handle.db, async (tx) => (await tx.execute(sql`select 41 + 1 as answer`)).rows);

    it('gives the connection back when BEGIN fails on it, so the next transaction gets one', async () => {
      const { relay, database } = await openThroughRelay();
      relay.dropWhenSent('begin');
      await expect(transactionAnswers(database)).rejects.toThrow();
      // With the connection kept, the pool of one would time out here instead.
      expect(await transactionAnswers(database)).toEqual([{ answer: 42 }]);
    });

    it('gives the connection back when the connection dies inside the transaction or at COMMIT', async () => {
      const { relay, database } = await openThroughRelay();
      for (const text of ['41 + 1', 'commit']) {
        relay.dropWhenSent(text);
        await expect(transactionAnswers(database)).rejects.toThrow();
        expect(await transactionAnswers(database)).toEqual([{ answer: 42 }]);
      }
    });
  },
);

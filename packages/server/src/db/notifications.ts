import pg from 'pg';

export type NotificationHandlers = {
  onMessage(payload: string): void;
  onReady(): void;
  onLost(): void;
};

const RECONNECT_DELAY_MS = 1_000;

/** LISTEN needs a connection of its own, outside the pool, kept open (and reopened) for the process's life. */
export async function listenOnPostgres(
  databaseUrl: string,
  channel: string,
  handlers: NotificationHandlers,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    const connection = new pg.Client({ connectionString: databaseUrl });
    connection.on('notification', (message) => {
      if (message.channel === channel) handlers.onMessage(message.payload ?? '');
    });
    const lost = () => {
      if (client !== connection) return;
      client = undefined;
      handlers.onLost();
      connection.end().catch(() => {});
      if (!stopped) retry = setTimeout(() => connect().catch(() => {}), RECONNECT_DELAY_MS);
    };
    connection.on('error', lost);
    connection.on('end', lost);
    client = connection;
    try {
      await connection.connect();
      await connection.query(`listen "${channel.replaceAll('"', '""')}"`);
      if (stopped) await connection.end();
      else handlers.onReady();
    } catch (error) {
      lost();
      throw error;
    }
  };
  try {
    await connect();
  } catch (error) {
    stopped = true;
    clearTimeout(retry);
    throw error;
  }
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const connection = client;
    client = undefined;
    await connection?.end();
  };
}

/**
 * For what a process remembers while PostgreSQL tells it what changes: listens on `channel`, hands
 * each message to `onMessage`, and calls `forgetAll` whenever messages may have been missed — when
 * listening starts (or starts again after a reconnection) and when the connection is lost.
 * `listening()` says whether remembering is safe right now.
 */
export async function listenForChanges(
  database: { listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>> },
  channel: string,
  handlers: { onMessage(payload: string): void; forgetAll(): void },
): Promise<{ listening(): boolean; stop(): Promise<void> }> {
  let listening = false;
  const unlisten = await database.listen(channel, {
    onMessage: handlers.onMessage,
    onReady() {
      handlers.forgetAll();
      listening = true;
    },
    onLost() {
      listening = false;
      handlers.forgetAll();
    },
  });
  return {
    listening: () => listening,
    async stop() {
      listening = false;
      handlers.forgetAll();
      await unlisten();
    },
  };
}

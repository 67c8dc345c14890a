import pg from 'pg';

export type Answer = { status: number; body: any };

/** What a client of a load balancer does: retry, with the same body, what got no answer or a 503. */
export function clientOf(baseUrl: string, adminKey: string) {
  const once = async (method: 'GET' | 'POST', url: string, body?: object): Promise<Answer> => {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body && { 'content-type': 'application/json' }),
      },
      ...(body && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };
  return async (method: 'GET' | 'POST', url: string, body?: object): Promise<Answer> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await once(method, url, body);
        if (answer.status !== 503 || attempt >= 10) return answer;
      } catch (error) {
        if (attempt >= 10) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  };
}

/** Runs `work` over `items` with `workers` requests in flight at a time; answers in the items' order. */
export async function inParallel<Item, Result>(
  items: Item[],
  workers: number,
  work: (item: Item) => Promise<Result>,
): Promise<Result[]> {
  const results: Result[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as Item);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

export async function queryOn<Row>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Asks again every 100 ms, at most `attempts` times, until `done` holds; returns whether it did. */
export async function eventually(done: () => Promise<boolean>, attempts = 200): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Waits until the replica has replayed everything the primary had written when called. */
export async function replicaCaughtUp(primaryUrl: string, replicaUrl: string): Promise<boolean> {
  const [primary] = await queryOn<{ lsn: string }>(primaryUrl, 'select pg_current_wal_lsn()::text as lsn');
  return eventually(async () => {
    const [replica] = await queryOn<{ caught_up: boolean }>(
      replicaUrl,
      'select pg_last_wal_replay_lsn() >= $1::pg_lsn as caught_up',
      [primary?.lsn],
    );
    return replica?.caught_up === true;
  });
}

/** Stops the replica applying WAL (it still answers), so what it answers is visibly older than the primary. */
export async function pauseReplay(replicaUrl: string): Promise<boolean> {
  await queryOn(replicaUrl, 'select pg_wal_replay_pause()');
  return eventually(async () => {
    const [row] = await queryOn<{ state: string }>(
      replicaUrl,
      'select pg_get_wal_replay_pause_state() as state',
    );
    return row?.state === 'paused';
  });
}

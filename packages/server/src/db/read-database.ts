import { type Database, openReplicaPool, type PoolLimits } from './client.js';
import { databaseFaultOf } from './database-faults.js';
import { sqlStateOf } from './retry.js';

/**
 * Where reads that may lag run: usage history, invoice lists, audit log and the operator's lists
 * (docs/scaling.md lists them). Never a read that decides money or limits: checks, consumes,
 * balances and everything inside a write's transaction stay on the primary.
 */
export type ReadDatabase = {
  /** Runs `work` on the replica when there is one and it answers, else on the primary. */
  read<T>(work: (db: Database) => Promise<T>): Promise<T>;
  /** Where those reads go now. */
  readonly target: 'primary' | 'replica';
  close(): Promise<void>;
};

/** Without DATABASE_READ_URL every read goes to the one database. */
export function primaryReads(primary: Database): ReadDatabase {
  return { read: (work) => work(primary), target: 'primary', close: async () => {} };
}

/** How often a replica that failed is tried again, in the background, while reads go to the primary. */
export const DEFAULT_REPLICA_RETRY_MS = 2_000;

/** serialization_failure on a hot standby: the statement was cancelled by a conflict with recovery. */
const RECOVERY_CONFLICT = '40001';

export type ReplicaEvents = {
  /** The replica stopped answering: once per outage, however many reads failed. */
  onUnavailable(error: unknown): void;
  /** The replica answers again: reads go back to it. */
  onRecovered(): void;
};

/**
 * Reads on a streaming replica, falling back to the primary while the replica cannot be reached (down,
 * restarting, out of connections: the 503-class faults of database-faults.ts). The read that met the
 * fault runs again on the primary, so the caller sees no error; later reads go to the primary at once,
 * until a background probe finds the replica answering again. Other errors (a bad query, a timeout)
 * are the read's own and are thrown as they are.
 */
export function replicaReads(options: {
  primary: Database;
  replicaUrl: string;
  limits: PoolLimits;
  retryMs?: number;
  events: ReplicaEvents;
}): ReadDatabase {
  const replica = openReplicaPool(options.replicaUrl, options.limits);
  const retryMs = options.retryMs ?? DEFAULT_REPLICA_RETRY_MS;
  let probe: NodeJS.Timeout | undefined;
  let probing = false;
  let closed = false;

  const stopProbing = () => {
    if (probe) clearInterval(probe);
    probe = undefined;
  };
  const tryReplica = async () => {
    if (probing || closed) return;
    probing = true;
    try {
      await replica.pool.query('select 1');
      if (closed || !probe) return;
      stopProbing();
      options.events.onRecovered();
    } catch {
      // Still down: the next tick tries again.
    } finally {
      probing = false;
    }
  };
  const markUnavailable = (error: unknown) => {
    if (probe || closed) return;
    probe = setInterval(() => void tryReplica(), retryMs);
    probe.unref();
    options.events.onUnavailable(error);
  };

  return {
    get target() {
      return probe ? 'primary' : 'replica';
    },
    async read(work) {
      if (probe) return work(options.primary);
      try {
        return await work(replica.db);
      } catch (error) {
        if (databaseFaultOf(error)?.code === 'database_unavailable') {
          markUnavailable(error);
          return work(options.primary);
        }
        // One statement cancelled by replay on the standby: that read alone goes to the primary.
        if (sqlStateOf(error) === RECOVERY_CONFLICT) return work(options.primary);
        throw error;
      }
    },
    async close() {
      closed = true;
      stopProbing();
      await replica.close();
    },
  };
}

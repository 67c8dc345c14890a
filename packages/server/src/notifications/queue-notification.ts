import { randomId } from '../auth/secrets.js';
import { notificationOutbox } from '../db/schema/index.js';
import type { DbOrTx } from '../db/transaction.js';

/** Queues a notification in the transaction of the change it announces, so it is sent if and only if that commits. */
export async function queueNotification(
  tx: DbOrTx,
  notification: { organizationId: string; kind: string; payload: Record<string, unknown>; now: Date },
): Promise<string> {
  const id = randomId('ntf');
  await tx.insert(notificationOutbox).values({
    organizationId: notification.organizationId,
    id,
    kind: notification.kind,
    payload: notification.payload,
    createdAt: notification.now,
    nextAttemptAt: notification.now,
  });
  return id;
}

import {
  armedAfterThresholdChange,
  type Catalog,
  Decimal,
  decimalText,
  isLive,
  sumRemaining,
} from '@tollgate/core';
import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { creditWallets } from '../db/schema/index.js';
import { type DbOrTx, withTransaction } from '../db/transaction.js';
import { assertOrganizationExists } from './parties.js';
import { ensureWallet, lockWallet, type Wallet } from './wallet.js';

export type CreditSettings = { low_balance_threshold: string; low_balance_threshold_is_default: boolean };

/**
 * Sets an organization's low-balance threshold (null: back to the catalog default). Changing the line
 * is not a fall below it, so nothing is queued; the alert is armed exactly when the balance is at or above it.
 */
export async function updateCreditSettings(
  db: DbOrTx,
  catalog: Catalog,
  input: { organization_id: string; low_balance_threshold: number | null; now: Date; actor: string },
): Promise<CreditSettings> {
  const wallet: Wallet = { organizationId: input.organization_id, userId: null };
  return withTransaction(db, async (tx) => {
    await assertOrganizationExists(tx, input.organization_id);
    await ensureWallet(tx, wallet);
    const locked = await lockWallet(tx, wallet);
    if (!locked) throw new Error('wallet vanished after it was created');
    const threshold = new Decimal(
      input.low_balance_threshold ?? catalog.definition.credits.low_balance_threshold,
    );
    const balance = sumRemaining(locked.lots.filter((lot) => isLive(lot, input.now)));
    const stored = input.low_balance_threshold === null ? null : decimalText(threshold);
    await tx
      .update(creditWallets)
      .set({
        lowBalanceThreshold: stored,
        lowBalanceArmed: armedAfterThresholdChange({ threshold, balance }),
        updatedAt: input.now,
      })
      .where(
        and(eq(creditWallets.organizationId, input.organization_id), eq(creditWallets.walletUserId, '')),
      );
    await recordAudit(tx, {
      actor: input.actor,
      action: 'credits.settings_updated',
      targetType: 'organization',
      targetId: input.organization_id,
      organizationId: input.organization_id,
      before: { low_balance_threshold: locked.state.lowBalanceThreshold },
      after: { low_balance_threshold: stored },
    });
    return {
      low_balance_threshold: decimalText(threshold),
      low_balance_threshold_is_default: stored === null,
    };
  });
}

export { type ConsumeInput, type ConsumeResult, consumeCredits, debitCreditsForEvent } from './consume.js';
export { createCreditEventDebitor, debitCreditEvents } from './event-debits.js';
export { type GrantInput, type GrantResult, grantCredits } from './grant.js';
export { allocateSubscriptionCredits, expireCredits, runCreditJobs } from './jobs.js';
export { type CreditBalanceView, readCreditBalance } from './read-balance.js';
export { type CreditTransactionView, listCreditTransactions } from './read-transactions.js';
export { type RefundResult, refundConsume } from './refund.js';
export { type CreditSettings, updateCreditSettings } from './settings.js';
export { type TransferInput, type TransferResult, transferCredits } from './transfer.js';
export {
  checkUserTrial,
  readUserTrials,
  TRIAL_FEATURE,
  type TrialCheckResult,
} from './trial.js';
export type { Wallet } from './wallet.js';

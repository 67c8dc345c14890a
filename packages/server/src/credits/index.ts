export { consumeCredits, debitCreditsForEvent, type ConsumeInput, type ConsumeResult } from './consume.js';
export { grantCredits, type GrantInput, type GrantResult } from './grant.js';
export { allocateSubscriptionCredits, expireCredits, runCreditJobs } from './jobs.js';
export { readCreditBalance, type CreditBalanceView } from './read-balance.js';
export { listCreditTransactions, type CreditTransactionView } from './read-transactions.js';
export { transferCredits, type TransferInput, type TransferResult } from './transfer.js';
export { checkUserTrial, readUserTrials, TRIAL_FEATURE, type TrialCheckResult } from './trial.js';
export type { Wallet } from './wallet.js';

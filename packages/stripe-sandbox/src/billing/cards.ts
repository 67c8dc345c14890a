/**
 * Stripe's documented test cards and payment-method tokens, and what each does in the sandbox:
 * `succeed` always pays; `decline` is refused when attached or charged; `fail_charges` attaches
 * fine but every later charge is declined (Stripe's 4000 0000 0000 0341).
 */
export type CardBehavior = 'succeed' | 'decline' | 'fail_charges';

export interface TestCard {
  number: string;
  brand: 'visa' | 'mastercard' | 'amex';
  behavior: CardBehavior;
  declineCode: string | null;
}

const cards: TestCard[] = [
  { number: '4242424242424242', brand: 'visa', behavior: 'succeed', declineCode: null },
  { number: '5555555555554444', brand: 'mastercard', behavior: 'succeed', declineCode: null },
  { number: '378282246310005', brand: 'amex', behavior: 'succeed', declineCode: null },
  { number: '4000000000000002', brand: 'visa', behavior: 'decline', declineCode: 'generic_decline' },
  { number: '4000000000009995', brand: 'visa', behavior: 'decline', declineCode: 'insufficient_funds' },
  { number: '4000000000000341', brand: 'visa', behavior: 'fail_charges', declineCode: 'generic_decline' },
];

const tokens: Record<string, string> = {
  pm_card_visa: '4242424242424242',
  pm_card_mastercard: '5555555555554444',
  pm_card_amex: '378282246310005',
  pm_card_chargeDeclined: '4000000000000002',
  pm_card_visa_chargeDeclined: '4000000000000002',
  pm_card_chargeDeclinedInsufficientFunds: '4000000000009995',
  pm_card_chargeCustomerFail: '4000000000000341',
};

/** Test bank account token: pays like a good card (Stripe settles ACH later; the sandbox does not wait). */
export const US_BANK_ACCOUNT_TOKEN = 'pm_usBankAccount';

export function cardForNumber(number: string): TestCard | null {
  const digits = number.replace(/\D/g, '');
  return cards.find((card) => card.number === digits) ?? null;
}

export function cardForToken(token: string): TestCard | null {
  const number = tokens[token];
  return number ? cardForNumber(number) : null;
}

export function isTestToken(id: string): boolean {
  return id in tokens || id === US_BANK_ACCOUNT_TOKEN;
}

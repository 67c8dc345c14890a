import { type Decimal, type DecimalInput, decimalText, toDecimal } from '../decimal.js';

export type CreditAmountProblem = {
  valid: false;
  code: 'invalid_amount' | 'fractional_amount';
  message: string;
};
export type CreditAmountResult = { valid: true; amount: Decimal } | CreditAmountProblem;

/** A positive amount of credits; whole unless the catalog allows decimal credits. */
export function parseCreditAmount(value: DecimalInput, wholeCredits: boolean): CreditAmountResult {
  let amount: Decimal;
  try {
    amount = toDecimal(value);
  } catch {
    return { valid: false, code: 'invalid_amount', message: `not a decimal number: ${String(value)}` };
  }
  if (!amount.gt(0)) {
    return { valid: false, code: 'invalid_amount', message: 'amount must be greater than zero' };
  }
  if (wholeCredits && !amount.isInteger()) {
    return {
      valid: false,
      code: 'fractional_amount',
      message: `credits are whole in this catalog; ${decimalText(amount)} is not`,
    };
  }
  return { valid: true, amount };
}

export type CreditCostResult =
  | { valid: true; cost: Decimal; unit_cost: Decimal; quantity: Decimal }
  | {
      valid: false;
      code: 'unknown_credit_event' | 'invalid_quantity' | 'fractional_amount';
      message: string;
    };

/** credit_cost × quantity of a catalog credit event, exact. */
export function creditCost(
  unitCost: DecimalInput | undefined,
  eventName: string,
  quantity: DecimalInput,
  wholeCredits: boolean,
): CreditCostResult {
  if (unitCost === undefined) {
    return { valid: false, code: 'unknown_credit_event', message: `no credit event "${eventName}"` };
  }
  let parsedQuantity: Decimal;
  try {
    parsedQuantity = toDecimal(quantity);
  } catch {
    return { valid: false, code: 'invalid_quantity', message: `not a decimal number: ${String(quantity)}` };
  }
  if (!parsedQuantity.gt(0)) {
    return { valid: false, code: 'invalid_quantity', message: 'quantity must be greater than zero' };
  }
  const unit = toDecimal(unitCost);
  const cost = unit.times(parsedQuantity);
  if (wholeCredits && !cost.isInteger()) {
    return {
      valid: false,
      code: 'fractional_amount',
      message: `${decimalText(cost)} credits is not a whole number of credits`,
    };
  }
  return { valid: true, cost, unit_cost: unit, quantity: parsedQuantity };
}

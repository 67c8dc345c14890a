import { type Catalog, type CheckDecision, Decimal } from '@tollgate/core';
import type { CheckAnswer } from './types.js';

export const jsonNumber = (value: Decimal) => Number(value.toFixed());

/** Where a denied organization can upgrade: the catalog's upgrade page, naming the next plan. */
export function upgradeUrl(catalog: Catalog, planCode: string): string | undefined {
  const base = catalog.definition.upgrade_url;
  if (!base) return undefined;
  const next = catalog.plan(planCode)?.upgrade_to;
  if (!next) return base;
  const url = new URL(base);
  url.searchParams.set('plan', next);
  return url.toString();
}

export function toCheckAnswer(
  feature: string,
  decision: CheckDecision,
  catalog: Catalog,
  planCode: string,
  usedAfter?: Decimal,
): CheckAnswer {
  const used = usedAfter ?? decision.used;
  const remainingAfter =
    usedAfter === undefined || decision.limit === null
      ? decision.remaining
      : Decimal.max(0, decision.limit.minus(usedAfter));
  const remaining = remainingAfter === null ? null : jsonNumber(remainingAfter);
  const answer: CheckAnswer = {
    allowed: decision.allowed,
    feature,
    limit: decision.limit === null ? null : jsonNumber(decision.limit),
    used: jsonNumber(used),
    remaining,
    cap: decision.cap,
  };
  if (decision.reason) answer.reason = decision.reason;
  if (!decision.allowed && decision.reason !== 'subscription_inactive') {
    const url = upgradeUrl(catalog, planCode);
    if (url) answer.upgrade_url = url;
  }
  return answer;
}

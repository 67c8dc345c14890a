import { type Catalog, type CheckDecision, Decimal, upgradeUrlFor } from '@tollgate/core';
import type { CheckAnswer } from './types.js';

export const jsonNumber = (value: Decimal) => Number(value.toFixed());

/** Where an organization on `planCode` denied `feature` can upgrade; undefined without an upgrade page. */
export type UpgradeLinks = (planCode: string, feature: string) => string | undefined;

/**
 * Upgrade links under this deployment's public URL, read when a link is made: the server learns its
 * URL once it listens (main.ts). Links are remembered per plan and feature, as they repeat.
 */
export function createUpgradeLinks(catalog: Catalog, publicUrl: () => string): UpgradeLinks {
  const links = new Map<string, string | undefined>();
  let linksUrl = '';
  return (planCode, feature) => {
    const base = publicUrl();
    if (base !== linksUrl) {
      links.clear();
      linksUrl = base;
    }
    const key = `${planCode}\u0000${feature}`;
    if (!links.has(key)) links.set(key, upgradeUrlFor(catalog, base, planCode, feature));
    return links.get(key);
  };
}

export function toCheckAnswer(
  feature: string,
  decision: CheckDecision,
  upgradeLinks: UpgradeLinks,
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
    const url = upgradeLinks(planCode, feature);
    if (url) answer.upgrade_url = url;
  }
  return answer;
}

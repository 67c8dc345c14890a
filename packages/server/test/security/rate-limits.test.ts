import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/harness.js';

const FAILED_AUTHENTICATIONS = 50;
const SESSION_REQUESTS = 20;
const BILLING_SESSIONS = 3;

describeEachDatabase(
  'rate limits',
  (harness) => {
    const createOrganization = (id: string) =>
      harness().request('POST', '/v1/organizations', { body: { id, name: id } });

    it('answers 429 to a flood of bad keys past the limit, while a good key keeps getting 200', async () => {
      const created = await harness().request('POST', '/v1/api-keys', { body: { name: 'good' } });
      const goodKey: string = created.body.secret;
      const counts = new Map<number, number>();
      const goodAnswers = new Set<number>();
      let limited: { headers: Record<string, unknown>; body: any } | undefined;
      for (let attempt = 0; attempt < 8_000; attempt += 1) {
        const bad = await harness().request('GET', '/v1/organizations', { token: `tg_sk_guess_${attempt}` });
        counts.set(bad.status, (counts.get(bad.status) ?? 0) + 1);
        if (bad.status === 429) limited ??= bad;
        if (attempt % 100 === 0) {
          goodAnswers.add((await harness().request('GET', '/v1/organizations', { token: goodKey })).status);
          goodAnswers.add((await harness().request('GET', '/v1/organizations')).status);
        }
      }
      expect(Object.fromEntries(counts)).toEqual({
        401: FAILED_AUTHENTICATIONS,
        429: 8_000 - FAILED_AUTHENTICATIONS,
      });
      expect([...goodAnswers]).toEqual([200]);
      expect(limited?.body.error.code).toBe('rate_limited');
      expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited?.headers['ratelimit-limit']).toBe(String(FAILED_AUTHENTICATIONS));
      expect(limited?.headers['ratelimit-remaining']).toBe('0');
      expect(Number(limited?.headers['ratelimit-reset'])).toBeGreaterThan(0);

      // Another client address is counted on its own.
      const elsewhere = await harness().tollgate.app.inject({
        method: 'GET',
        url: '/v1/organizations',
        remoteAddress: '10.9.8.7',
        headers: { authorization: 'Bearer tg_sk_guess_elsewhere' },
      });
      expect(elsewhere.statusCode).toBe(401);
    });

    it('does not limit secret keys on /v1/check and /v1/events', async () => {
      await createOrganization('limits_hot');
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const check = await harness().request('POST', '/v1/check', {
          body: { organization_id: 'limits_hot', feature: 'api_calls' },
        });
        expect(check.status).toBe(200);
        expect(check.headers['ratelimit-limit']).toBeUndefined();
      }
      const events = await harness().request('POST', '/v1/events', {
        body: {
          events: [{ id: 'limits_e1', organization_id: 'limits_hot', event: 'api_calls', quantity: 1 }],
        },
      });
      expect(events.status).toBe(200);
      expect(events.headers['ratelimit-limit']).toBeUndefined();
    });

    it("limits an organization's session-token requests, and no other organization's", async () => {
      await createOrganization('limits_busy');
      await createOrganization('limits_calm');
      const mint = async (id: string) =>
        (await harness().request('POST', `/v1/organizations/${id}/sessions`, { body: {} })).body
          .token as string;
      const busy = await mint('limits_busy');
      const statuses: number[] = [];
      for (let attempt = 0; attempt < SESSION_REQUESTS + 5; attempt += 1) {
        statuses.push(
          (await harness().request('GET', '/v1/organizations/limits_busy', { token: busy })).status,
        );
      }
      expect(statuses.filter((status) => status === 200)).toHaveLength(SESSION_REQUESTS);
      expect(statuses.slice(SESSION_REQUESTS)).toEqual([429, 429, 429, 429, 429]);
      // Every token of the organization shares its budget; another organization and the host app are not touched.
      const another = await harness().request('GET', '/v1/organizations/limits_busy', {
        token: await mint('limits_busy'),
      });
      expect(another.status).toBe(429);
      expect(another.headers['retry-after']).toBeDefined();
      const calm = await harness().request('GET', '/v1/organizations/limits_calm', {
        token: await mint('limits_calm'),
      });
      expect(calm.status).toBe(200);
      expect(calm.headers['ratelimit-remaining']).toBe(String(SESSION_REQUESTS - 1));
      expect((await harness().request('GET', '/v1/organizations/limits_busy')).status).toBe(200);
    });

    it('limits Checkout and Portal creation per organization, whoever asks', async () => {
      await createOrganization('limits_buyer');
      await createOrganization('limits_other');
      const statuses: number[] = [];
      for (let attempt = 0; attempt < BILLING_SESSIONS + 2; attempt += 1) {
        statuses.push(
          (await harness().request('POST', '/v1/organizations/limits_buyer/portal', { body: {} })).status,
        );
      }
      // No Stripe in this harness: the requests let through reach the handler, which says so.
      expect(statuses.slice(0, BILLING_SESSIONS).every((status) => status !== 429)).toBe(true);
      expect(statuses.slice(BILLING_SESSIONS)).toEqual([429, 429]);
      const checkout = await harness().request('POST', '/v1/organizations/limits_buyer/checkout', {
        body: { plan: 'standard' },
      });
      expect(checkout.status).toBe(429);
      expect(checkout.body.error.code).toBe('rate_limited');
      const other = await harness().request('POST', '/v1/organizations/limits_other/portal', { body: {} });
      expect(other.status).not.toBe(429);
    });
  },
  {
    tollgate: {
      rateLimits: {
        // Long enough that no window ends during the test.
        windowSeconds: 3_600,
        failedAuthenticationsPerAddress: FAILED_AUTHENTICATIONS,
        sessionRequestsPerOrganization: SESSION_REQUESTS,
        billingSessionsPerOrganization: BILLING_SESSIONS,
      },
    },
  },
);

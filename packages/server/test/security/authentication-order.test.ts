import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/harness.js';

describeEachDatabase('who is calling is settled before the body is judged', (harness) => {
  it('answers 401, not 400 with field details, to a bad body without a key', async () => {
    const bodies: Array<[string, string, unknown]> = [
      ['POST', '/v1/organizations', { id: '', name: 7, extra: true }],
      ['POST', '/v1/check', { feature: 42 }],
      ['POST', '/v1/events', { events: 'nope' }],
      ['PATCH', '/v1/organizations/acme', { plan: { nested: true } }],
    ];
    for (const [method, url, body] of bodies) {
      const anonymous = await harness().request(method, url, { body, token: null });
      expect(anonymous.status, `${method} ${url}`).toBe(401);
      expect(anonymous.body.error.code).toBe('unauthenticated');
      expect(anonymous.body.error.fields).toBeUndefined();
      const wrongKey = await harness().request(method, url, { body, token: 'tg_sk_guessed' });
      expect(wrongKey.status, `${method} ${url}`).toBe(401);
    }
  });

  it('answers 401 to unparseable JSON without a key, and 400 invalid_json with one', async () => {
    const send = (token: string | null) =>
      harness().tollgate.app.inject({
        method: 'POST',
        url: '/v1/organizations',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        payload: '{"id": ',
      });
    expect((await send(null)).statusCode).toBe(401);
    const withKey = await send('tg_sk_test_admin_key_for_integration_tests_only');
    expect(withKey.statusCode).toBe(400);
    expect(withKey.json().error.code).toBe('invalid_json');
  });

  it('still answers 400 with the field to an authenticated caller', async () => {
    const invalid = await harness().request('POST', '/v1/organizations', { body: { id: 'x' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid_request');
    expect(invalid.body.error.fields[0].field).toBe('body.name');
  });

  it('lets an organization session read the plan catalog (GET /v1/plans)', async () => {
    await harness().request('POST', '/v1/organizations', { body: { id: 'plans_reader', name: 'P' } });
    const session = await harness().request('POST', '/v1/organizations/plans_reader/sessions', { body: {} });
    const plans = await harness().request('GET', '/v1/plans', { token: session.body.token });
    expect(plans.status).toBe(200);
    expect(plans.body.plans.map((plan: { code: string }) => plan.code)).toContain('free');
    expect((await harness().request('GET', '/v1/plans', { token: null })).status).toBe(401);
    // The catalog is open to every session; what belongs to an organization is still not.
    expect((await harness().request('GET', '/v1/organizations', { token: session.body.token })).status).toBe(
      403,
    );
  });
});

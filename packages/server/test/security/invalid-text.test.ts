import { expect, it } from 'vitest';
import { findInvalidText } from '../../src/http/text-check.js';
import { describeEachDatabase } from '../support/harness.js';

const NUL = '\u0000';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';

describeEachDatabase('text PostgreSQL cannot store is a 400 invalid_text at the edge', (harness) => {
  const expectInvalidText = (answer: { status: number; body: any }, field: string) => {
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_text');
    expect(answer.body.error.fields).toEqual([{ field, message: expect.stringContaining('NUL') }]);
    expect(answer.body.error.message).toContain(field);
  };

  it('names a NUL or an unpaired surrogate in a body string, and writes nothing', async () => {
    expectInvalidText(
      await harness().request('POST', '/v1/organizations', { body: { id: `x${NUL}y`, name: 'X' } }),
      'body.id',
    );
    expectInvalidText(
      await harness().request('POST', '/v1/organizations', {
        body: { id: 'text_a', name: `bad${LONE_HIGH}` },
      }),
      'body.name',
    );
    expectInvalidText(
      await harness().request('POST', '/v1/organizations', {
        body: { id: 'text_a', name: `${LONE_LOW}bad` },
      }),
      'body.name',
    );
    expect((await harness().request('GET', '/v1/organizations/text_a')).status).toBe(404);
  });

  it('names the object holding a bad key, and nested values by their path', async () => {
    expectInvalidText(
      await harness().request('POST', '/v1/organizations', {
        body: { id: 'text_b', name: 'B', metadata: { [`k${NUL}`]: 'v' } },
      }),
      'body.metadata',
    );
    expectInvalidText(
      await harness().request('POST', '/v1/organizations', {
        body: { id: 'text_b', name: 'B', metadata: { region: `eu${NUL}` } },
      }),
      'body.metadata.region',
    );
  });

  it('checks path parameters and the query string', async () => {
    expectInvalidText(await harness().request('GET', '/v1/organizations/acme%00'), 'params.organizationId');
    expectInvalidText(
      await harness().request('GET', '/v1/organizations?starting_after=a%00b'),
      'querystring.starting_after',
    );
    expectInvalidText(
      await harness().request('GET', '/v1/organizations/acme/usage/api%00calls/history'),
      'params.feature',
    );
  });

  it('guards the hot paths too: /v1/check', async () => {
    expectInvalidText(
      await harness().request('POST', '/v1/check', {
        body: { organization_id: `acme${NUL}`, feature: 'api_calls' },
      }),
      'body.organization_id',
    );
  });

  it('accepts paired surrogates (emoji) and ordinary text', async () => {
    const created = await harness().request('POST', '/v1/organizations', {
      body: { id: 'text_c', name: 'Café 😀 ünïcode' },
    });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe('Café 😀 ünïcode');
  });

  it('identifies the caller first: no key and bad text is a 401', async () => {
    const anonymous = await harness().request('POST', '/v1/organizations', {
      body: { id: `x${NUL}`, name: 'X' },
      token: null,
    });
    expect(anonymous.status).toBe(401);
  });
});

it('walks a deeply nested value without exhausting the stack', () => {
  let deep: unknown = `bottom${NUL}`;
  for (let level = 0; level < 200_000; level += 1) deep = { a: [deep] };
  expect(findInvalidText(deep, 'body')).toMatch(/^body(\.a\.0)+$/);
  let clean: unknown = 'fine';
  for (let level = 0; level < 200_000; level += 1) clean = [clean];
  expect(findInvalidText(clean, 'body')).toBeUndefined();
});

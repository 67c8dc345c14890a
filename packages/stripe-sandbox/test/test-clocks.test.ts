import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const START = Date.UTC(2026, 8, 1) / 1000;

describe('test clocks', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('creates, lists, advances and deletes a clock; objects on it take its time', async () => {
    const { stripe } = harness;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: START, name: 'September' });
    expect(clock).toMatchObject({
      object: 'test_helpers.test_clock',
      frozen_time: START,
      status: 'ready',
      name: 'September',
    });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    expect(customer).toMatchObject({ created: START, test_clock: clock.id });

    const advanced = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: START + 3600 });
    expect(advanced).toMatchObject({ frozen_time: START + 3600, status: 'ready' });
    const later = await stripe.products.create({ name: 'Not on the clock' });
    expect(later.created).toBeGreaterThan(START + 3600);

    const backwards = await stripe.testHelpers.testClocks
      .advance(clock.id, { frozen_time: START })
      .catch((error) => error);
    expect(backwards).toMatchObject({ type: 'StripeInvalidRequestError', param: 'frozen_time' });
    expect((await stripe.testHelpers.testClocks.list()).data.map((row) => row.id)).toContain(clock.id);
    expect((await stripe.customers.list({ test_clock: clock.id })).data.map((row) => row.id)).toEqual([
      customer.id,
    ]);

    const types = (await stripe.events.list({ type: 'test_helpers.test_clock.*' })).data.map(
      (event) => event.type,
    );
    expect(types).toEqual([
      'test_helpers.test_clock.ready',
      'test_helpers.test_clock.advancing',
      'test_helpers.test_clock.created',
    ]);

    const deleted = await stripe.testHelpers.testClocks.del(clock.id);
    expect(deleted).toEqual({ id: clock.id, object: 'test_helpers.test_clock', deleted: true });
    await expect(stripe.testHelpers.testClocks.retrieve(clock.id)).rejects.toMatchObject({
      code: 'resource_missing',
    });
    const unknown = await stripe.customers.create({ test_clock: 'clock_missing' }).catch((error) => error);
    expect(unknown).toMatchObject({ code: 'resource_missing', param: 'test_clock' });
  });
});

import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

describe('customers', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('creates, retrieves, updates and deletes a customer with address, metadata and tax status', async () => {
    const { stripe } = harness;
    const created = await stripe.customers.create({
      email: 'ada@example.com',
      name: 'Ada',
      metadata: { organization_id: 'org_1', tier: 'gold' },
      address: { country: 'DE', city: 'Berlin' },
      tax_exempt: 'reverse',
      tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    expect(created.id).toMatch(/^cus_/);
    expect(created.address).toMatchObject({ country: 'DE', city: 'Berlin', line1: null });
    expect(created.tax_exempt).toBe('reverse');

    const fetched = await stripe.customers.retrieve(created.id);
    expect(fetched).toEqual(created);

    const updated = await stripe.customers.update(created.id, {
      metadata: { tier: '', plan: 'pro' },
      tax_exempt: 'none',
      address: { country: 'US', state: 'CA', postal_code: '94107' },
    });
    expect(updated.metadata).toEqual({ organization_id: 'org_1', plan: 'pro' });
    expect(updated.tax_exempt).toBe('none');
    expect(updated.address?.state).toBe('CA');

    const taxIds = await stripe.customers.listTaxIds(created.id);
    expect(taxIds.data).toHaveLength(1);
    expect(taxIds.data[0]).toMatchObject({ type: 'eu_vat', value: 'DE123456789', country: 'DE' });

    const deleted = await stripe.customers.del(created.id);
    expect(deleted).toEqual({ id: created.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(created.id)).toMatchObject({ id: created.id, deleted: true });
    await expect(stripe.customers.update(created.id, { name: 'gone' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      statusCode: 404,
    });
  });

  it('searches customers by metadata and email', async () => {
    const { stripe } = harness;
    const target = await stripe.customers.create({
      email: 'find@example.com',
      metadata: { organization_id: 'org_find' },
    });
    await stripe.customers.create({ email: 'other@example.com', metadata: { organization_id: 'org_other' } });
    const byMetadata = await stripe.customers.search({ query: "metadata['organization_id']:'org_find'" });
    expect(byMetadata.data.map((customer) => customer.id)).toEqual([target.id]);
    const byEmail = await stripe.customers.search({ query: "email:'find@example.com'" });
    expect(byEmail.data.map((customer) => customer.id)).toEqual([target.id]);
  });

  it('pages through customers with limit, starting_after and ending_before', async () => {
    const { stripe } = harness;
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.push(
        (await stripe.customers.create({ email: `page${index}@example.com`, metadata: { batch: 'paging' } }))
          .id,
      );
    }
    const newestFirst = [...ids].reverse();
    const first = await stripe.customers.list({ limit: 2 });
    expect(first.data.map((customer) => customer.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = await stripe.customers.list({ limit: 2, starting_after: newestFirst[1] });
    expect(second.data.map((customer) => customer.id)).toEqual(newestFirst.slice(2, 4));
    const back = await stripe.customers.list({ limit: 2, ending_before: newestFirst[2] });
    expect(back.data.map((customer) => customer.id)).toEqual(newestFirst.slice(0, 2));
    expect(back.has_more).toBe(false);

    const seen: string[] = [];
    for await (const customer of stripe.customers.list({ limit: 2 })) {
      if (customer.metadata.batch === 'paging') seen.push(customer.id);
    }
    expect(seen).toEqual(newestFirst);
  });

  it('rejects unknown parameters, bad types and unknown ids with the parameter named', async () => {
    const { stripe } = harness;
    const unknown = await stripe.customers
      .create({ colour: 'red' } as Stripe.CustomerCreateParams)
      .catch((error) => error);
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown).toMatchObject({ code: 'parameter_unknown', param: 'colour', statusCode: 400 });

    const nested = await stripe.customers
      .create({ address: { planet: 'Mars' } } as unknown as Stripe.CustomerCreateParams)
      .catch((error) => error);
    expect(nested).toMatchObject({ code: 'parameter_unknown', param: 'address[planet]' });

    const badEnum = await stripe.customers
      .create({ tax_exempt: 'sometimes' } as unknown as Stripe.CustomerCreateParams)
      .catch((error) => error);
    expect(badEnum).toMatchObject({ type: 'StripeInvalidRequestError', param: 'tax_exempt' });

    const missing = await stripe.customers.update('cus_doesnotexist', { name: 'x' }).catch((error) => error);
    expect(missing).toMatchObject({ code: 'resource_missing', param: 'id', statusCode: 404 });
    expect(missing.message).toBe("No such customer: 'cus_doesnotexist'");
  });
});

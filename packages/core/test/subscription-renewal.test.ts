import { describe, expect, it } from 'vitest';
import { type RenewableSubscription, renewedPeriod } from '../src/subscription-renewal.js';

const iso = (period: { start: Date; end: Date } | null) =>
  period && [period.start.toISOString(), period.end.toISOString()];

const manual = (overrides: Partial<RenewableSubscription> = {}): RenewableSubscription => ({
  source: 'manual',
  interval: 'month',
  billingCycleAnchor: new Date('2027-01-31T10:00:00Z'),
  currentPeriodEnd: new Date('2027-02-28T10:00:00Z'),
  cancelAtPeriodEnd: false,
  ...overrides,
});

describe('subscription renewal', () => {
  it('leaves a subscription alone while its period runs', () => {
    expect(renewedPeriod(manual(), new Date('2027-02-28T09:59:59.999Z'))).toBeNull();
  });

  it('renews a manual plan from its anchor, so a month-end anchor comes back to the 31st', () => {
    expect(iso(renewedPeriod(manual(), new Date('2027-02-28T10:00:00Z')))).toEqual([
      '2027-02-28T10:00:00.000Z',
      '2027-03-31T10:00:00.000Z',
    ]);
    const march = manual({ currentPeriodEnd: new Date('2027-03-31T10:00:00Z') });
    expect(iso(renewedPeriod(march, new Date('2027-03-31T11:00:00Z')))).toEqual([
      '2027-03-31T10:00:00.000Z',
      '2027-04-30T10:00:00.000Z',
    ]);
  });

  it('jumps over periods missed while nothing ran', () => {
    expect(iso(renewedPeriod(manual(), new Date('2027-06-15T00:00:00Z')))).toEqual([
      '2027-05-31T10:00:00.000Z',
      '2027-06-30T10:00:00.000Z',
    ]);
  });

  it('renews yearly plans by the year, leap days kept where they exist', () => {
    const yearly = manual({
      interval: 'year',
      billingCycleAnchor: new Date('2028-02-29T00:00:00Z'),
      currentPeriodEnd: new Date('2029-02-28T00:00:00Z'),
    });
    expect(iso(renewedPeriod(yearly, new Date('2031-03-01T00:00:00Z')))).toEqual([
      '2031-02-28T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
    ]);
  });

  it('moves the default plan to the calendar month of now', () => {
    const free = manual({ source: 'default', currentPeriodEnd: new Date('2027-02-01T00:00:00Z') });
    expect(iso(renewedPeriod(free, new Date('2027-03-04T05:00:00Z')))).toEqual([
      '2027-03-01T00:00:00.000Z',
      '2027-04-01T00:00:00.000Z',
    ]);
  });

  it('leaves Stripe subscriptions and those ending at their period end to other code', () => {
    const later = new Date('2027-04-01T00:00:00Z');
    expect(renewedPeriod(manual({ source: 'stripe' }), later)).toBeNull();
    expect(renewedPeriod(manual({ cancelAtPeriodEnd: true }), later)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { Catalog, CatalogError, demoCatalog, upgradePlanFor, upgradeUrlFor } from '../src/index.js';

describe('catalog', () => {
  it('loads the demo catalog with its plans, packs and credit events', () => {
    const catalog = Catalog.from(demoCatalog);
    expect(catalog.plans().map((plan) => plan.code)).toEqual(['free', 'standard', 'enterprise']);
    expect(catalog.plan('standard')?.prices).toEqual({
      monthly: { amount: 9_900 },
      yearly: { amount: 99_000 },
    });
    expect(catalog.planFeature('standard', 'llm_tokens')).toEqual({
      included: '1000000',
      cap: 'soft',
      overage: { model: 'package', package_size: 1000, package_amount: '1' },
    });
    expect(catalog.planFeature('enterprise', 'seats')).toMatchObject({ included: 'unlimited' });
    expect(catalog.creditEvent('ai_inference')?.credits).toBe('25');
    expect(catalog.creditPack('credits_10k')).toMatchObject({ credits: 10_000, price: { amount: 8_000 } });
    expect(catalog.featureForEvent('llm_tokens')).toBe('llm_tokens');
    expect(catalog.featureForEvent('ai_inference')).toBeUndefined();
  });

  it('finds only its own plans, features, packs and events, never inherited properties', () => {
    const catalog = Catalog.from(demoCatalog);
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(catalog.plan(name)).toBeUndefined();
      expect(catalog.feature(name)).toBeUndefined();
      expect(catalog.planFeature('standard', name)).toBeUndefined();
      expect(catalog.creditPack(name)).toBeUndefined();
      expect(catalog.creditEvent(name)).toBeUndefined();
    }
    expect(catalog.plan('standard')?.code).toBe('standard');
  });

  it('hashes equal definitions equally, whatever their key order', () => {
    const reordered = Object.fromEntries(Object.entries(demoCatalog).reverse());
    expect(Catalog.parse(reordered).hash).toBe(Catalog.from(demoCatalog).hash);
  });

  it('names every bad field', () => {
    const broken = structuredClone(demoCatalog) as Record<string, any>;
    broken.plans.standard.prices.monthly.amount = 99.5;
    broken.plans.free.features.llm_tokens.cap = 'medium';
    broken.credit_events.ai_inference.credits = '-3';
    const error = (() => {
      try {
        Catalog.parse(broken);
      } catch (caught) {
        return caught as CatalogError;
      }
    })();
    expect(error).toBeInstanceOf(CatalogError);
    expect(error?.issues.map((issue) => issue.path).sort()).toEqual([
      'credit_events.ai_inference.credits',
      'plans.free.features.llm_tokens',
      'plans.standard.prices.monthly.amount',
    ]);
  });

  it('rejects unknown fields, unknown features and fractional credit costs', () => {
    const catalog = structuredClone(demoCatalog) as Record<string, any>;
    catalog.plans.free.colour = 'blue';
    catalog.plans.free.features.teleportation = true;
    catalog.credit_events.api_call_basic.credits = '0.5';
    expect(() => Catalog.parse(catalog)).toThrowError(/plans\.free: Unrecognized key: "colour"/);
    delete catalog.plans.free.colour;
    expect(() => Catalog.parse(catalog)).toThrowError(
      /plans\.free\.features\.teleportation: unknown feature/,
    );
    delete catalog.plans.free.features.teleportation;
    expect(() => Catalog.parse(catalog)).toThrowError(
      /credit_events\.api_call_basic\.credits: must be a whole number/,
    );
  });

  it('requires graduated tiers to ascend and end open', () => {
    const catalog = structuredClone(demoCatalog) as Record<string, any>;
    catalog.plans.standard.features.api_calls.overage = {
      model: 'graduated',
      tiers: [
        { up_to: 1000, unit_amount: '0.1' },
        { up_to: 500, unit_amount: '0.05' },
      ],
    };
    expect(() => Catalog.parse(catalog)).toThrowError(/tiers\[1\]\.up_to: (tiers must ascend|the last tier)/);
  });
});

describe('catalog lookups by a caller-given name', () => {
  it('never return inherited properties (plan "toString", feature "constructor", pack "__proto__")', () => {
    const catalog = Catalog.from(demoCatalog);
    for (const name of ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty']) {
      expect(catalog.plan(name)).toBeUndefined();
      expect(catalog.feature(name)).toBeUndefined();
      expect(catalog.planFeature('standard', name)).toBeUndefined();
      expect(catalog.planFeature(name, 'api_calls')).toBeUndefined();
      expect(catalog.creditPack(name)).toBeUndefined();
      expect(catalog.creditEvent(name)).toBeUndefined();
    }
    expect(catalog.plan('standard')?.code).toBe('standard');
  });
});

describe('upgrade links', () => {
  const catalog = Catalog.from(demoCatalog);

  it('names the first plan up the upgrade_to chain that offers more of the feature', () => {
    expect(upgradePlanFor(catalog, 'free', 'api_calls')).toBe('standard');
    expect(upgradePlanFor(catalog, 'free', 'sso')).toBe('enterprise');
    expect(upgradePlanFor(catalog, 'standard', 'seats')).toBe('enterprise');
    expect(upgradePlanFor(catalog, 'enterprise', 'api_calls')).toBeUndefined();
    expect(upgradePlanFor(catalog, 'free', 'toString')).toBeUndefined();
  });

  it('resolves a path against the public URL, keeping its prefix, and leaves an absolute URL alone', () => {
    expect(upgradeUrlFor(catalog, 'https://pay.example.test/app/', 'free', 'sso')).toBe(
      'https://pay.example.test/app/billing/upgrade?plan=enterprise',
    );
    expect(upgradeUrlFor(catalog, 'http://localhost:4400', 'enterprise', 'sso')).toBe(
      'http://localhost:4400/billing/upgrade',
    );
    const elsewhere = Catalog.from({ ...demoCatalog, upgrade_url: 'https://shop.example.test/upgrade' });
    expect(upgradeUrlFor(elsewhere, 'https://pay.example.test', 'free', 'api_calls')).toBe(
      'https://shop.example.test/upgrade?plan=standard',
    );
  });
});

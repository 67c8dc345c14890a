import type { CatalogInput } from './schema.js';

/**
 * The demo catalog: used by `npm start` when no catalog file is configured, and by the tests.
 * Amounts are in cents; fractional unit amounts are exact decimals ("0.1" = a tenth of a cent).
 */
export const demoCatalog = {
  version: 'demo-1',
  currency: 'usd',
  default_plan: 'free',
  upgrade_url: '/billing/upgrade',
  features: {
    llm_tokens: { name: 'LLM tokens', unit: 'token' },
    agent_executions: { name: 'Agent executions', unit: 'execution' },
    api_calls: { name: 'API calls', unit: 'call' },
    storage_gb: { name: 'Storage', unit: 'GB', aggregation: 'max', reset: 'never' },
    seats: { name: 'Seats', kind: 'seats', unit: 'seat', reset: 'never' },
    priority_support: { name: 'Priority support', kind: 'boolean' },
    sso: { name: 'Single sign-on', kind: 'boolean' },
  },
  plans: {
    free: {
      name: 'Free',
      description: 'For trying things out. Upgrade when the limits bite.',
      prices: { monthly: { amount: 0 }, yearly: { amount: 0 } },
      upgrade_to: 'standard',
      features: {
        llm_tokens: { included: 10_000, cap: 'soft' },
        agent_executions: { included: 100, cap: 'soft' },
        api_calls: { included: 1_000, cap: 'soft' },
        storage_gb: { included: 1, cap: 'hard' },
        seats: { included: 3, cap: 'hard' },
        priority_support: false,
        sso: false,
      },
    },
    standard: {
      name: 'Standard',
      description: 'For teams in production.',
      prices: { monthly: { amount: 9_900 }, yearly: { amount: 99_000 } },
      trial_days: 14,
      credits_per_period: 10_000,
      upgrade_to: 'enterprise',
      features: {
        llm_tokens: {
          included: 1_000_000,
          cap: 'soft',
          overage: { model: 'package', package_size: 1_000, package_amount: '1' },
        },
        agent_executions: { included: 5_000, cap: 'soft', overage: { model: 'per_unit', unit_amount: '10' } },
        api_calls: { included: 100_000, cap: 'soft', overage: { model: 'per_unit', unit_amount: '0.1' } },
        storage_gb: { included: 100, cap: 'soft', overage: { model: 'per_unit', unit_amount: '50' } },
        seats: { included: 25, cap: 'soft', overage: { model: 'per_unit', unit_amount: '500' } },
        priority_support: true,
        sso: false,
      },
    },
    enterprise: {
      name: 'Enterprise',
      description: 'For scale, with SSO and priority support.',
      prices: { monthly: { amount: 49_900 }, yearly: { amount: 499_000 } },
      trial_days: 14,
      credits_per_period: 100_000,
      features: {
        llm_tokens: {
          included: 10_000_000,
          cap: 'soft',
          overage: { model: 'package', package_size: 1_000, package_amount: '0.5' },
        },
        agent_executions: { included: 50_000, cap: 'soft', overage: { model: 'per_unit', unit_amount: '5' } },
        api_calls: { included: 1_000_000, cap: 'soft', overage: { model: 'per_unit', unit_amount: '0.05' } },
        storage_gb: { included: 1_000, cap: 'soft', overage: { model: 'per_unit', unit_amount: '25' } },
        seats: { included: 'unlimited', cap: 'soft' },
        priority_support: true,
        sso: true,
      },
    },
  },
  credit_packs: {
    credits_1k: { name: '1,000 credits', credits: 1_000, price: { amount: 1_000 } },
    credits_10k: { name: '10,000 credits', credits: 10_000, price: { amount: 8_000 } },
  },
  credit_events: {
    api_call_basic: { credits: 1, description: 'A basic API call' },
    api_call_premium: { credits: 5, description: 'A premium API call' },
    storage_gb_month: { credits: 10, description: 'One GB stored for a month' },
    ai_inference: { credits: 25, description: 'One AI inference' },
  },
} satisfies CatalogInput;

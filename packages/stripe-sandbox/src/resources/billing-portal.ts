import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import { type ListParams, listParams, matchesEquals, paginate } from '../http/list.js';
import { any, bool, metadata, obj, required, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { mergeMetadata } from './common.js';

export type PortalConfiguration = Wire<Stripe.BillingPortal.Configuration>;
export type PortalSession = Wire<Stripe.BillingPortal.Session>;

type Features = PortalConfiguration['features'];

function defaultFeatures(): Features {
  return {
    customer_update: { allowed_updates: ['email', 'address', 'tax_id'], enabled: true },
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true, payment_method_configuration: null },
    subscription_cancel: {
      cancellation_reason: { enabled: false, options: [] },
      enabled: true,
      mode: 'at_period_end',
      proration_behavior: 'none',
    },
    subscription_update: {
      billing_cycle_anchor: null,
      default_allowed_updates: ['price'],
      enabled: true,
      products: [],
      proration_behavior: 'create_prorations',
      schedule_at_period_end: { conditions: [] },
      trial_update_behavior: 'end_trial',
    },
  } as unknown as Features;
}

/** Deep-merges the request's `features` over the defaults, turning form strings into booleans. */
function mergeFeatures(base: Features, update: unknown): Features {
  const merge = (target: Record<string, unknown>, source: unknown): Record<string, unknown> => {
    if (!source || typeof source !== 'object') return target;
    for (const [key, value] of Object.entries(source)) {
      if (value === 'true' || value === 'false') target[key] = value === 'true';
      else if (Array.isArray(value)) target[key] = value;
      else if (value && typeof value === 'object')
        target[key] = merge({ ...((target[key] as object) ?? {}) }, value);
      else target[key] = value;
    }
    return target;
  };
  return merge(structuredClone(base) as unknown as Record<string, unknown>, update) as unknown as Features;
}

const configurationSpec = {
  business_profile: obj({
    headline: str({ nullable: true }),
    privacy_policy_url: str(),
    terms_of_service_url: str(),
  }),
  default_return_url: str({ nullable: true }),
  features: any(),
  login_page: obj({ enabled: required(bool()) }),
  metadata: metadata(),
  name: str({ nullable: true }),
  active: bool(),
};

interface ConfigurationInput {
  business_profile?: { headline?: string | null; privacy_policy_url?: string; terms_of_service_url?: string };
  default_return_url?: string | null;
  features?: unknown;
  metadata?: Record<string, string | null> | null;
  name?: string | null;
  active?: boolean;
}

export function defaultConfiguration(sandbox: Sandbox): PortalConfiguration {
  const existing = sandbox.store
    .all<PortalConfiguration>('portal_configurations')
    .find((configuration) => configuration.is_default);
  return existing ?? createConfiguration(sandbox, {}, true);
}

function createConfiguration(
  sandbox: Sandbox,
  input: ConfigurationInput,
  isDefault: boolean,
): PortalConfiguration {
  const now = sandbox.now();
  const configuration: PortalConfiguration = {
    id: newId('bpc'),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: {
      headline: input.business_profile?.headline ?? null,
      privacy_policy_url: input.business_profile?.privacy_policy_url ?? null,
      terms_of_service_url: input.business_profile?.terms_of_service_url ?? null,
    },
    created: now,
    default_return_url: input.default_return_url ?? null,
    features: mergeFeatures(defaultFeatures(), input.features),
    is_default: isDefault,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: mergeMetadata({}, input.metadata),
    name: input.name ?? null,
    updated: now,
  };
  sandbox.store.insert('portal_configurations', configuration);
  sandbox.emit('billing_portal.configuration.created', configuration);
  return configuration;
}

export function registerBillingPortal(router: Router): void {
  router.api('POST', '/v1/billing_portal/configurations', ({ sandbox, body }) => {
    const input = validateParams<ConfigurationInput>(configurationSpec, body);
    const hasDefault = sandbox.store
      .all<PortalConfiguration>('portal_configurations')
      .some((row) => row.is_default);
    return createConfiguration(sandbox, input, !hasDefault);
  });
  router.api('GET', '/v1/billing_portal/configurations/:id', ({ sandbox, params }) =>
    sandbox.store.require<PortalConfiguration>(
      'portal_configurations',
      params.id as string,
      'billing_portal.configuration',
    ),
  );
  router.api('POST', '/v1/billing_portal/configurations/:id', ({ sandbox, body, params }) => {
    const configuration = sandbox.store.require<PortalConfiguration>(
      'portal_configurations',
      params.id as string,
      'billing_portal.configuration',
    );
    const input = validateParams<ConfigurationInput>(configurationSpec, body);
    if (input.features !== undefined)
      configuration.features = mergeFeatures(configuration.features, input.features);
    if (input.default_return_url !== undefined) configuration.default_return_url = input.default_return_url;
    if (input.active !== undefined) configuration.active = input.active;
    if (input.name !== undefined) configuration.name = input.name;
    if (input.metadata !== undefined)
      configuration.metadata = mergeMetadata(configuration.metadata, input.metadata);
    if (input.business_profile)
      configuration.business_profile = { ...configuration.business_profile, ...input.business_profile };
    configuration.updated = sandbox.now();
    sandbox.store.put('portal_configurations', configuration);
    sandbox.emit('billing_portal.configuration.updated', configuration);
    return configuration;
  });
  router.api('GET', '/v1/billing_portal/configurations', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { active?: boolean; is_default?: boolean }>(
      { ...listParams, active: bool(), is_default: bool() },
      body,
    );
    const rows = sandbox.store
      .all<PortalConfiguration>('portal_configurations')
      .filter((row) => matchesEquals(row, params, ['active', 'is_default']));
    return paginate(rows, params, '/v1/billing_portal/configurations');
  });
  router.api('POST', '/v1/billing_portal/sessions', ({ sandbox, body }) => {
    const input = validateParams<{
      customer: string;
      return_url?: string;
      configuration?: string;
      locale?: string;
    }>(
      {
        customer: required(str()),
        return_url: str(),
        configuration: str(),
        locale: str(),
        flow_data: any(),
        on_behalf_of: str(),
      },
      body,
    );
    sandbox.store.require('customers', input.customer, 'customer', 'customer');
    const configuration = input.configuration
      ? sandbox.store.require<PortalConfiguration>(
          'portal_configurations',
          input.configuration,
          'billing_portal.configuration',
          'configuration',
        )
      : defaultConfiguration(sandbox);
    const returnUrl = input.return_url ?? configuration.default_return_url;
    if (!returnUrl) throw errors.missingParameter('return_url');
    const id = newId('bps');
    const session: PortalSession = {
      id,
      object: 'billing_portal.session',
      configuration: configuration.id,
      created: sandbox.now(sandbox.clockOfCustomer(input.customer)),
      customer: input.customer,
      customer_account: null,
      flow: null,
      livemode: false,
      locale: (input.locale ?? null) as Stripe.BillingPortal.Session.Locale | null,
      on_behalf_of: null,
      return_url: returnUrl,
      url: `${sandbox.baseUrl}/portal/${id}_${randomToken(24)}`,
    };
    sandbox.store.insert('portal_sessions', session);
    sandbox.emit('billing_portal.session.created', session);
    return session;
  });
}

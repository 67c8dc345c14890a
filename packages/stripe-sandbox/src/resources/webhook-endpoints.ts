import type Stripe from 'stripe';
import { type ListParams, listParams, paginate } from '../http/list.js';
import { arr, bool, metadata, required, type Spec, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';
import type { Sandbox } from '../sandbox.js';
import { newId, randomToken } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { deletedObject, mergeMetadata } from './common.js';

/** The signing secret is stored with the endpoint but shown only in the create response, as Stripe does. */
type StoredEndpoint = Wire<Stripe.WebhookEndpoint> & { secret?: string };

const editable: Record<string, Spec> = {
  url: str(),
  enabled_events: arr(str()),
  description: str({ nullable: true }),
  metadata: metadata(),
  disabled: bool(),
};

interface EndpointInput {
  url?: string;
  enabled_events?: string[];
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  disabled?: boolean;
  api_version?: string;
  connect?: boolean;
}

function publicView(endpoint: StoredEndpoint): Wire<Stripe.WebhookEndpoint> {
  const { secret: _secret, ...rest } = endpoint;
  return rest;
}

function createEndpoint(sandbox: Sandbox, input: EndpointInput): StoredEndpoint {
  const endpoint: StoredEndpoint = {
    id: newId('we'),
    object: 'webhook_endpoint',
    api_version: input.api_version ?? null,
    application: null,
    created: sandbox.now(),
    description: input.description ?? null,
    enabled_events: input.enabled_events ?? [],
    livemode: false,
    metadata: mergeMetadata({}, input.metadata),
    secret: `whsec_${randomToken(32)}`,
    status: 'enabled',
    url: input.url ?? '',
  };
  sandbox.store.insert('webhook_endpoints', endpoint);
  return endpoint;
}

export function registerWebhookEndpoints(router: Router): void {
  router.api('POST', '/v1/webhook_endpoints', ({ sandbox, body }) =>
    createEndpoint(
      sandbox,
      validateParams<EndpointInput>(
        {
          ...editable,
          url: required(str()),
          enabled_events: required(arr(str())),
          api_version: str(),
          connect: bool(),
        },
        body,
      ),
    ),
  );
  router.api('GET', '/v1/webhook_endpoints/:id', ({ sandbox, params }) =>
    publicView(
      sandbox.store.require<StoredEndpoint>('webhook_endpoints', params.id as string, 'webhook endpoint'),
    ),
  );
  router.api('POST', '/v1/webhook_endpoints/:id', ({ sandbox, body, params }) => {
    const endpoint = sandbox.store.require<StoredEndpoint>(
      'webhook_endpoints',
      params.id as string,
      'webhook endpoint',
    );
    const input = validateParams<EndpointInput>(editable, body);
    if (input.url !== undefined) endpoint.url = input.url;
    if (input.enabled_events !== undefined) endpoint.enabled_events = input.enabled_events;
    if (input.description !== undefined) endpoint.description = input.description;
    if (input.disabled !== undefined) endpoint.status = input.disabled ? 'disabled' : 'enabled';
    if (input.metadata !== undefined) endpoint.metadata = mergeMetadata(endpoint.metadata, input.metadata);
    sandbox.store.put('webhook_endpoints', endpoint);
    return publicView(endpoint);
  });
  router.api('DELETE', '/v1/webhook_endpoints/:id', ({ sandbox, params }) => {
    const endpoint = sandbox.store.require<StoredEndpoint>(
      'webhook_endpoints',
      params.id as string,
      'webhook endpoint',
    );
    sandbox.store.remove('webhook_endpoints', endpoint.id);
    return deletedObject(endpoint.id, 'webhook_endpoint');
  });
  router.api('GET', '/v1/webhook_endpoints', ({ sandbox, body }) => {
    const params = validateParams<ListParams>(listParams, body);
    const rows = sandbox.store.all<StoredEndpoint>('webhook_endpoints').map(publicView);
    return paginate(rows, params, '/v1/webhook_endpoints');
  });
}

import type { TollgateClient } from '../client.js';
import type { CheckResult, Quantity } from '../types.js';

/** How middleware learns who is calling; return undefined to skip metering for the request. */
export type OrganizationResolver<Request> = (
  request: Request,
) => string | undefined | Promise<string | undefined>;

export interface EnforceOptions<Request> {
  quantity?: Quantity | ((request: Request) => Quantity);
  /** Record the quantity when allowed (atomically, in the same call). Default false: check only. */
  consume?: boolean;
}

export interface MiddlewareOptions<Request> {
  client: TollgateClient;
  organization: OrganizationResolver<Request>;
  project?: (request: Request) => string | undefined;
}

/** The 429 body: enough for the host app's front end to explain the limit and offer the upgrade. */
export function deniedBody(result: CheckResult) {
  return {
    error: {
      code: result.reason ?? 'limit_exceeded',
      message:
        result.reason === 'tollgate_unavailable'
          ? 'Usage limits cannot be verified right now.'
          : `The ${result.feature} limit of your plan is reached.`,
    },
    feature: result.feature,
    limit: result.limit,
    used: result.used,
    remaining: result.remaining,
    upgrade_url: result.upgrade_url ?? null,
  };
}

export async function decide<Request>(
  options: MiddlewareOptions<Request>,
  feature: string,
  enforceOptions: EnforceOptions<Request>,
  request: Request,
): Promise<CheckResult | undefined> {
  const organizationId = await options.organization(request);
  if (organizationId === undefined) return undefined;
  const quantity =
    typeof enforceOptions.quantity === 'function'
      ? enforceOptions.quantity(request)
      : enforceOptions.quantity;
  const projectId = options.project?.(request);
  return options.client.check({
    organization_id: organizationId,
    feature,
    ...(quantity === undefined ? {} : { quantity }),
    ...(projectId === undefined ? {} : { project_id: projectId }),
    ...(enforceOptions.consume ? { consume: true } : {}),
  });
}

export async function trackRequest<Request>(
  options: MiddlewareOptions<Request>,
  event: string,
  request: Request,
): Promise<void> {
  const organizationId = await options.organization(request);
  if (organizationId === undefined) return;
  const projectId = options.project?.(request);
  options.client.track({
    organization_id: organizationId,
    event,
    ...(projectId === undefined ? {} : { project_id: projectId }),
  });
}

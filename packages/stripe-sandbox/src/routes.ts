import { Router } from './http/router.js';
import { registerBillingMeters } from './resources/billing-meters.js';
import { registerCustomers } from './resources/customers.js';
import { registerEvents } from './resources/events.js';
import { registerMeterEvents } from './resources/meter-events.js';
import { registerPrices } from './resources/prices.js';
import { registerProducts } from './resources/products.js';
import { registerTaxIds } from './resources/tax-ids.js';
import { registerWebhookEndpoints } from './resources/webhook-endpoints.js';

/** Every endpoint the sandbox serves; more specific paths are registered before `:id` patterns. */
export function buildRouter(): Router {
  const router = new Router();
  registerCustomers(router);
  registerTaxIds(router);
  registerProducts(router);
  registerPrices(router);
  registerWebhookEndpoints(router);
  registerEvents(router);
  registerBillingMeters(router);
  registerMeterEvents(router);
  return router;
}

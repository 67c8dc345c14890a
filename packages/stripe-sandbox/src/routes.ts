import { Router } from './http/router.js';
import { registerCheckoutPage } from './pages/checkout-page.js';
import { registerInvoicePages } from './pages/invoice-page.js';
import { registerPortalPage } from './pages/portal-page.js';
import { registerBillingMeters } from './resources/billing-meters.js';
import { registerBillingPortal } from './resources/billing-portal.js';
import { registerCheckoutSessions } from './resources/checkout-sessions.js';
import { registerCustomers } from './resources/customers.js';
import { registerEvents } from './resources/events.js';
import { registerInvoiceItems } from './resources/invoice-items.js';
import { registerInvoices } from './resources/invoices.js';
import { registerMeterEvents } from './resources/meter-events.js';
import { registerPaymentIntents } from './resources/payment-intents.js';
import { registerPaymentMethods } from './resources/payment-methods.js';
import { registerPrices } from './resources/prices.js';
import { registerProducts } from './resources/products.js';
import { registerSubscriptions } from './resources/subscriptions.js';
import { registerTaxCalculations, registerTaxRates } from './resources/tax-calculations.js';
import { registerTaxIds } from './resources/tax-ids.js';
import { registerTestClocks } from './resources/test-clocks.js';
import { registerWebhookEndpoints } from './resources/webhook-endpoints.js';

/** Every endpoint the sandbox serves; fixed paths (`/search`, `/create_preview`) come before `:id` patterns. */
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
  registerPaymentMethods(router);
  registerPaymentIntents(router);
  registerInvoices(router);
  registerInvoiceItems(router);
  registerSubscriptions(router);
  registerCheckoutSessions(router);
  registerTestClocks(router);
  registerBillingPortal(router);
  registerTaxCalculations(router);
  registerTaxRates(router);
  registerCheckoutPage(router);
  registerPortalPage(router);
  registerInvoicePages(router);
  return router;
}

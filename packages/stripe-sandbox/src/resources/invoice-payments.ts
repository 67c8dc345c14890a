import type { InvoicePayment } from '../billing/invoice-payments.js';
import { type ListParams, listParams, paginate } from '../http/list.js';
import { obj, oneOf, str, validateParams } from '../http/params.js';
import type { Router } from '../http/router.js';

interface ListInput extends ListParams {
  invoice?: string;
  status?: string;
  payment?: { type?: string; payment_intent?: string };
}

export function registerInvoicePayments(router: Router): void {
  router.api('GET', '/v1/invoice_payments/:id', ({ sandbox, params }) =>
    sandbox.store.require<InvoicePayment>('invoice_payments', params.id as string, 'invoice payment'),
  );
  router.api('GET', '/v1/invoice_payments', ({ sandbox, body }) => {
    const input = validateParams<ListInput>(
      {
        ...listParams,
        invoice: str(),
        status: oneOf(['canceled', 'open', 'paid']),
        payment: obj({ type: oneOf(['payment_intent', 'payment_record']), payment_intent: str() }),
      },
      body,
    );
    const rows = sandbox.store
      .all<InvoicePayment>('invoice_payments')
      .filter(
        (row) =>
          (input.invoice === undefined || row.invoice === input.invoice) &&
          (input.status === undefined || row.status === input.status) &&
          (input.payment?.payment_intent === undefined ||
            row.payment.payment_intent === input.payment.payment_intent),
      );
    return paginate(rows, input, '/v1/invoice_payments');
  });
}

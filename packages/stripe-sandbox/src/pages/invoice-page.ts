import { cardForNumber } from '../billing/cards.js';
import { attemptInvoicePayment, type Invoice } from '../billing/invoices.js';
import { RawResponse, type Router } from '../http/router.js';
import { createCardPaymentMethod } from '../resources/payment-methods.js';
import { escapeHtml, formatDate, formatMoney, htmlPage, redirect } from './html.js';
import { buildPdf } from './pdf.js';

function taxTotal(invoice: Invoice): number {
  return (invoice.total_taxes ?? []).reduce((sum, tax) => sum + tax.amount, 0);
}

function renderInvoice(invoice: Invoice, error: string | null, status = 200) {
  const rows = invoice.lines.data
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.description)}</td><td>${escapeHtml(line.quantity)}</td><td>${escapeHtml(formatMoney(line.amount, invoice.currency))}</td></tr>`,
    )
    .join('');
  const payForm =
    invoice.status === 'open' && invoice.amount_remaining > 0
      ? `${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/invoices/${escapeHtml(invoice.id)}">
<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric" placeholder="4242 4242 4242 4242" required>
<button type="submit" id="pay">Pay ${escapeHtml(formatMoney(invoice.amount_remaining, invoice.currency))}</button>
</form>`
      : error
        ? `<p class="error" role="alert">${escapeHtml(error)}</p>`
        : '';
  return htmlPage(
    `Invoice ${invoice.number ?? invoice.id}`,
    `<h1>Invoice ${escapeHtml(invoice.number)}</h1>
<p>Status: <strong>${escapeHtml(invoice.status)}</strong> · Issued ${formatDate(invoice.status_transitions.finalized_at)}${invoice.due_date ? ` · Due ${formatDate(invoice.due_date)}` : ''}</p>
<p>Billed to ${escapeHtml(invoice.customer_name ?? invoice.customer_email ?? invoice.customer)}</p>
<table><tr><th>Description</th><th>Qty</th><th>Amount</th></tr>${rows}
<tr><td colspan="2">Subtotal</td><td>${escapeHtml(formatMoney(invoice.subtotal, invoice.currency))}</td></tr>
<tr><td colspan="2">Tax</td><td>${escapeHtml(formatMoney(taxTotal(invoice), invoice.currency))}</td></tr>
<tr><th colspan="2">Total</th><th>${escapeHtml(formatMoney(invoice.total, invoice.currency))}</th></tr></table>
${payForm}
<p><a href="${escapeHtml(invoice.invoice_pdf)}">Download PDF</a></p>`,
    status,
  );
}

/** Only finalized invoices have public pages, as with Stripe's hosted invoice URLs. */
export function registerInvoicePages(router: Router): void {
  router.page('GET', '/invoices/:id', ({ sandbox, params }) => {
    const invoice = sandbox.store.get<Invoice>('invoices', params.id as string);
    if (!invoice || invoice.status === 'draft')
      return htmlPage('Not found', '<h1>Invoice not found.</h1>', 404);
    return renderInvoice(invoice, null);
  });
  // An open invoice is paid here with a test card, as on Stripe's hosted invoice page.
  router.page('POST', '/invoices/:id', ({ sandbox, params, body }) => {
    const invoice = sandbox.store.get<Invoice>('invoices', params.id as string);
    if (!invoice || invoice.status === 'draft')
      return htmlPage('Not found', '<h1>Invoice not found.</h1>', 404);
    if (invoice.status !== 'open') return renderInvoice(invoice, `This invoice is ${invoice.status}.`, 409);
    const number = body.card_number;
    const card = cardForNumber(typeof number === 'string' ? number : '');
    if (!card) return renderInvoice(invoice, 'Your card number is not a sandbox test card.', 402);
    const method = createCardPaymentMethod(sandbox, card, null);
    if (!attemptInvoicePayment(sandbox, invoice, method.id)) {
      return renderInvoice(invoice, 'Your card was declined.', 402);
    }
    return redirect(`/invoices/${invoice.id}`);
  });
  router.page('GET', '/invoices/:id/pdf', ({ sandbox, params }) => {
    const invoice = sandbox.store.get<Invoice>('invoices', params.id as string);
    if (!invoice || invoice.status === 'draft')
      return new RawResponse(404, 'text/plain', 'Invoice not found');
    const pdf = buildPdf([
      { text: `Invoice ${invoice.number ?? invoice.id}`, size: 18 },
      { text: `Status: ${invoice.status}   Issued: ${formatDate(invoice.status_transitions.finalized_at)}` },
      { text: `Billed to: ${invoice.customer_name ?? invoice.customer_email ?? String(invoice.customer)}` },
      { text: `Period: ${formatDate(invoice.period_start)} to ${formatDate(invoice.period_end)}` },
      { text: '' },
      ...invoice.lines.data.map((line) => ({
        text: `${line.description ?? ''}   ${formatMoney(line.amount, invoice.currency)}`,
      })),
      { text: '' },
      { text: `Subtotal: ${formatMoney(invoice.subtotal, invoice.currency)}` },
      { text: `Tax: ${formatMoney(taxTotal(invoice), invoice.currency)}` },
      { text: `Total: ${formatMoney(invoice.total, invoice.currency)}`, size: 14 },
      { text: `Amount paid: ${formatMoney(invoice.amount_paid, invoice.currency)}` },
      { text: 'Issued by the Tollgate Stripe sandbox (test mode).', size: 8 },
    ]);
    return new RawResponse(200, 'application/pdf', pdf, {
      'content-disposition': `inline; filename="${invoice.number ?? invoice.id}.pdf"`,
    });
  });
}

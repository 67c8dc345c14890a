import { RawResponse } from '../http/router.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function formatMoney(amount: number | null | undefined, currency: string | null | undefined): string {
  const value = (amount ?? 0) / 100;
  return `${(currency ?? 'usd').toUpperCase()} ${value.toFixed(2)}`;
}

export function formatDate(seconds: number | null | undefined): string {
  return seconds ? new Date(seconds * 1000).toISOString().slice(0, 10) : '—';
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
h1{font-size:1.4rem}table{width:100%;border-collapse:collapse}td,th{padding:.4rem;border-bottom:1px solid #e3e8ee;text-align:left}
label{display:block;margin:.6rem 0 .2rem}input,select{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.6rem 1.2rem;background:#635bff;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{color:#df1b41;font-weight:600}.note{color:#697386;font-size:.85rem}.banner{background:#fff8e1;padding:.5rem;border-radius:4px}`;

/** A complete page; every page says plainly that it is the sandbox, never Stripe. */
export function htmlPage(title: string, body: string, status = 200): RawResponse {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><p class="banner">Tollgate Stripe sandbox — test mode, no real money moves.</p>${body}</body></html>`;
  return new RawResponse(status, 'text/html; charset=utf-8', html);
}

export function redirect(location: string): RawResponse {
  return new RawResponse(303, 'text/html; charset=utf-8', `<a href="${escapeHtml(location)}">Continue</a>`, {
    location,
  });
}

/** The hosted pay page. */
import { formatAmount, parseAmount } from './amounts';
import type { CryptoCloudInvoice, PaymentRecord } from './types';

// ---------------------------------------------------------------------------------------------
// Hosted pay page

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function payPage(invoice: CryptoCloudInvoice, payments: PaymentRecord[]): string {
  const id = invoice.uuid.replace(/^INV-/, '');
  const action = (path: string) => `/_sandbox/cryptocloud/invoices/${encodeURIComponent(id)}/${path}`;
  const redirect = `<input type="hidden" name="redirect" value="/pay/${escapeHtml(id)}">`;
  const missing = formatAmount((parseAmount(invoice.amount) ?? 0n) - (parseAmount(invoice.received) ?? 0n));
  const rows = payments
    .map(
      (p) =>
        `<li>${escapeHtml(p.kind)} ${escapeHtml(p.amount)} ${escapeHtml(invoice.currency.code)}${p.late ? ' (late)' : ''}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay ${escapeHtml(invoice.uuid)} — CryptoCloud sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#666}form{display:inline-block;margin:.3rem .3rem 0 0}
button{padding:.5rem .9rem;font-size:1rem;cursor:pointer}input[type=text]{width:6rem;padding:.45rem}.status{font-weight:bold}
.note{color:#777;font-size:.85rem;margin-top:2rem}</style></head>
<body>
<h1>CryptoCloud sandbox</h1>
<p>Test invoice — no real funds move.</p>
<dl>
<dt>Invoice</dt><dd>${escapeHtml(invoice.uuid)}</dd>
<dt>Order</dt><dd>${escapeHtml(invoice.order_id ?? '—')}</dd>
<dt>Amount</dt><dd>${escapeHtml(invoice.amount)} ${escapeHtml(invoice.currency.fullcode)} (${escapeHtml(invoice.amount_in_fiat)} ${escapeHtml(invoice.fiat_currency)})</dd>
<dt>Received</dt><dd>${escapeHtml(invoice.received)} ${escapeHtml(invoice.currency.code)}</dd>
<dt>Status</dt><dd class="status" id="status">${escapeHtml(invoice.status)}</dd>
<dt>Expires</dt><dd>${escapeHtml(invoice.expiry_date)} UTC</dd>
<dt>Address</dt><dd><code>${escapeHtml(invoice.address)}</code></dd>
</dl>
${rows ? `<h2>Payments</h2><ul>${rows}</ul>` : ''}
<h2>Simulate</h2>
<form method="post" action="${action('pay')}">${redirect}<button type="submit">Pay in full${missing !== '0' && !missing.startsWith('-') ? ` (${escapeHtml(missing)})` : ''}</button></form>
<form method="post" action="${action('partial')}">${redirect}<input type="text" name="amount" placeholder="amount" aria-label="partial amount"><button type="submit">Pay partially</button></form>
<form method="post" action="${action('overpay')}">${redirect}<input type="text" name="extra" placeholder="extra" aria-label="extra amount"><button type="submit">Overpay</button></form>
<form method="post" action="${action('expire')}">${redirect}<button type="submit">Let it expire</button></form>
<p class="note">Each payment sends a signed postback to the configured notification URL.</p>
</body></html>`;
}

export function payPageNotFound(id: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Invoice not found</title></head><body><h1>Invoice ${escapeHtml(id)} not found</h1></body></html>`;
}

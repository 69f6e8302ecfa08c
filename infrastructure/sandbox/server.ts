/**
 * One HTTP server hosting the Telegram Bot API, CryptoCloud, NOWPayments and Mailjet emulators plus the
 * control API under `/_sandbox/`. Point grammY (`client.apiRoot`), the CryptoCloud client (base URL) and
 * MAILJET_API_URL at `url`, the NOWPayments client at `${url}/v1`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { CryptoCloudSandbox, type CryptoCloudSandboxOptions } from './cryptocloud';
import { MailjetSandbox, type MailjetSandboxOptions } from './mailjet';
import { NowPaymentsSandbox, type NowPaymentsSandboxOptions } from './nowpayments';
import { TelegramSandbox, type TelegramSandboxOptions } from './telegram';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base URL of links handed to users (pay pages); default: the listening URL. */
  publicUrl?: string;
  cryptocloud: Omit<CryptoCloudSandboxOptions, 'publicUrl' | 'now'>;
  telegram?: Omit<TelegramSandboxOptions, 'now'>;
  /** Default: the dev API key and IPN secret (NOWPAYMENTS_SANDBOX_DEFAULTS). */
  nowpayments?: Omit<NowPaymentsSandboxOptions, 'now'>;
  /** Default: the dev API key and secret key (MAILJET_SANDBOX_DEFAULTS). */
  mailjet?: Omit<MailjetSandboxOptions, 'now'>;
  /** Shared clock for the emulators (default `Date.now`). */
  now?: () => number;
  /** Fastify request logging (default off). */
  logger?: boolean;
}

export interface Sandbox {
  /** `http://host:port`, no trailing slash: grammY's apiRoot and the CryptoCloud base URL. */
  url: string;
  publicUrl: string;
  telegram: TelegramSandbox;
  cryptocloud: CryptoCloudSandbox;
  nowpayments: NowPaymentsSandbox;
  mailjet: MailjetSandbox;
  /** Forgets all state of the emulators (settings passed at start are kept). */
  reset(): void;
  close(): Promise<void>;
}

const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const telegram = new TelegramSandbox({ ...options.telegram, now: options.now });
  const cryptocloud = new CryptoCloudSandbox({ ...options.cryptocloud, now: options.now });
  const nowpayments = new NowPaymentsSandbox({ ...options.nowpayments, now: options.now });
  const mailjet = new MailjetSandbox({ ...options.mailjet, now: options.now });
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  await configureParsers(app);
  telegram.register(app);
  cryptocloud.register(app);
  nowpayments.register(app);
  mailjet.register(app);

  const reset = () => {
    telegram.reset();
    cryptocloud.reset();
    nowpayments.reset();
    mailjet.reset();
  };
  app.post('/_sandbox/reset', async () => {
    reset();
    return { reset: true };
  });
  app.get('/_sandbox', async () => ({ routes: CONTROL_ROUTES }));
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(dashboard(telegram, cryptocloud, nowpayments)),
  );

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const listening = new URL(address);
  // A wildcard bind is reachable through loopback; links must name a concrete host.
  if (listening.hostname === '0.0.0.0' || listening.hostname === '[::]') listening.hostname = '127.0.0.1';
  const url = listening.origin;
  const publicUrl = (options.publicUrl ?? url).replace(/\/$/, '');
  cryptocloud.setPublicUrl(publicUrl);

  let closing: Promise<void> | undefined;
  return {
    url,
    publicUrl,
    telegram,
    cryptocloud,
    nowpayments,
    mailjet,
    reset,
    close: () => {
      closing ??= (async () => {
        telegram.shutdown();
        cryptocloud.shutdown();
        nowpayments.shutdown();
        mailjet.shutdown();
        await app.close();
      })();
      return closing;
    },
  };
}

async function configureParsers(app: FastifyInstance): Promise<void> {
  // Like Telegram, an empty JSON body means "no parameters" rather than an error.
  const strictJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    void strictJson(request, text, done);
  });
  await app.register(formbody);
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 10, fieldSize: 1024 * 1024 } });
}

/** The control routes, also served at GET /_sandbox (the README, "Sandbox and its control API", has the details). */
export const CONTROL_ROUTES = [
  'POST   /_sandbox/reset',
  'GET    /_sandbox/telegram/calls?method=&since=',
  'GET    /_sandbox/telegram/chats',
  'POST   /_sandbox/telegram/channels            {id, title, username?, type?, botStatus?, botRights?}',
  'POST   /_sandbox/telegram/users               {id, first_name, username?, language_code?, startedBot?}',
  'POST   /_sandbox/telegram/users/:userId/block',
  'DELETE /_sandbox/telegram/users/:userId/block',
  'GET    /_sandbox/telegram/chats/:chatId/messages',
  'GET    /_sandbox/telegram/chats/:chatId/members/:userId',
  'PUT    /_sandbox/telegram/chats/:chatId/members/:userId {status, until_date?, user?}',
  'GET    /_sandbox/telegram/chats/:chatId/bot',
  'PUT    /_sandbox/telegram/chats/:chatId/bot   {status?, rights?, by?} (emits my_chat_member)',
  'GET    /_sandbox/telegram/chats/:chatId/invite-links',
  'GET    /_sandbox/telegram/chats/:chatId/join-requests',
  'GET    /_sandbox/telegram/updates',
  'POST   /_sandbox/telegram/updates             (a raw Update without update_id)',
  'POST   /_sandbox/telegram/messages            {from, text}',
  'POST   /_sandbox/telegram/callbacks           {from, message_id, data, chatId?, force?}',
  'GET    /_sandbox/telegram/callbacks/:id',
  'POST   /_sandbox/telegram/join-requests       {from, chatId, inviteLink, bio?}',
  'POST   /_sandbox/telegram/joins               {from, chatId?, inviteLink}',
  'POST   /_sandbox/telegram/leaves              {from, chatId}',
  'GET    /_sandbox/telegram/faults',
  'POST   /_sandbox/telegram/faults              {method, chatId?, times?, fault}',
  'DELETE /_sandbox/telegram/faults',
  'POST   /_sandbox/telegram/payments            {userId, messageId? | payload?, chatId?, deadlineMs?, deliverSuccessfulPayment?, force?}',
  'GET    /_sandbox/telegram/payments',
  'GET    /_sandbox/telegram/payments/settings',
  'PUT    /_sandbox/telegram/payments/settings   {deliverSuccessfulPayment}',
  'GET    /_sandbox/telegram/star-transactions',
  'GET    /_sandbox/telegram/refunds',
  'GET    /_sandbox/telegram/webhook',
  'GET    /_sandbox/telegram/commands',
  'GET    /_sandbox/cryptocloud/invoices',
  'GET    /_sandbox/cryptocloud/invoices/:id',
  'POST   /_sandbox/cryptocloud/invoices/:id/pay      {amount?}',
  'POST   /_sandbox/cryptocloud/invoices/:id/partial  {amount?}',
  'POST   /_sandbox/cryptocloud/invoices/:id/overpay  {extra?}',
  'POST   /_sandbox/cryptocloud/invoices/:id/expire',
  'GET    /_sandbox/cryptocloud/settings',
  'POST   /_sandbox/cryptocloud/settings         {notifyUrl?, encoding?, drop?, repeat?}',
  'GET    /_sandbox/cryptocloud/postbacks',
  'POST   /_sandbox/cryptocloud/postbacks/resend',
  'GET    /_sandbox/nowpayments/payments',
  'GET    /_sandbox/nowpayments/payments/:id       (id or order_id; with its IPNs)',
  'POST   /_sandbox/nowpayments/payments/:id/pay   {amount?, confirmations?, wait?}',
  'POST   /_sandbox/nowpayments/payments/:id/advance {steps?, wait?}',
  'POST   /_sandbox/nowpayments/payments/:id/repeat  {amount, confirmations?, wait?}',
  'POST   /_sandbox/nowpayments/payments/:id/expire',
  'POST   /_sandbox/nowpayments/payments/:id/fail',
  'POST   /_sandbox/nowpayments/payments/:id/refund',
  'POST   /_sandbox/nowpayments/payments/:id/ipn     (send its current IPN again)',
  'GET    /_sandbox/nowpayments/ipns',
  'POST   /_sandbox/nowpayments/ipns/flush',
  'GET    /_sandbox/nowpayments/settings',
  'POST   /_sandbox/nowpayments/settings         {drop?, repeat?, reorder?, badSignature?, retries?, retryDelayMs?, stepDelayMs?, ipnSecret?}',
  'GET    /_sandbox/nowpayments/faults',
  'POST   /_sandbox/nowpayments/faults           {path, method?, fault: 500|502|503|429|401|403|"timeout", times?, delayMs?}',
  'DELETE /_sandbox/nowpayments/faults',
  'GET    /_sandbox/nowpayments/rates',
  'POST   /_sandbox/nowpayments/rates            {usd: {btc: "60000"}}',
  'GET    /_sandbox/mailjet/messages',
];

function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A glance at the state for a person driving the demo by hand. */
function dashboard(
  telegram: TelegramSandbox,
  cryptocloud: CryptoCloudSandbox,
  nowpayments: NowPaymentsSandbox,
): string {
  const invoices = cryptocloud
    .invoices()
    .slice(-20)
    .reverse()
    .map(
      (i) =>
        `<tr><td><a href="/pay/${escapeHtml(i.uuid.slice(4))}">${escapeHtml(i.uuid)}</a></td><td>${escapeHtml(i.order_id ?? '')}</td><td>${escapeHtml(i.amount)}</td><td>${escapeHtml(i.received)}</td><td>${escapeHtml(i.status)}</td></tr>`,
    )
    .join('');
  const payments = nowpayments
    .payments()
    .slice(-20)
    .reverse()
    .map(
      (p) =>
        `<tr><td><a href="/_sandbox/nowpayments/payments/${p.paymentId}">${p.paymentId}</a></td><td>${escapeHtml(p.orderId ?? '')}</td><td>${escapeHtml(`${p.priceAmount} ${p.priceCurrency}`)}</td><td>${escapeHtml(`${p.payAmount} ${p.payCurrency}`)}</td><td>${escapeHtml(p.actuallyPaid)}</td><td>${escapeHtml(p.parentPaymentId ?? '')}</td><td>${escapeHtml(p.status)}</td></tr>`,
    )
    .join('');
  const chats = telegram
    .chatList()
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.id)}</td><td>${escapeHtml(c.type)}</td><td>${escapeHtml('title' in c ? c.title : c.first_name)}</td><td><a href="/_sandbox/telegram/chats/${escapeHtml(c.id)}/messages">messages</a></td></tr>`,
    )
    .join('');
  const calls = telegram
    .calls()
    .filter((c) => c.method !== 'getUpdates')
    .slice(-30)
    .reverse()
    .map(
      (c) =>
        `<tr><td>${escapeHtml(new Date(c.at).toISOString().slice(11, 19))}</td><td>${escapeHtml(c.method)}</td><td>${escapeHtml(c.params.chat_id ?? '')}</td><td>${c.ok ? 'ok' : escapeHtml(`${c.errorCode} ${c.description}`)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tg-commerce sandbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin-bottom:2rem}td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left}</style></head>
<body><h1>tg-commerce sandbox</h1><p>Telegram Bot API, CryptoCloud and NOWPayments stand-ins. Control API: <a href="/_sandbox">/_sandbox</a>. Reload to refresh.</p>
<h2>Invoices</h2><table><tr><th>uuid</th><th>order</th><th>amount</th><th>received</th><th>status</th></tr>${invoices}</table>
<h2>NOWPayments payments</h2><table><tr><th>payment_id</th><th>order</th><th>price</th><th>pay amount</th><th>actually paid</th><th>parent</th><th>status</th></tr>${payments}</table>
<h2>Chats</h2><table><tr><th>id</th><th>type</th><th>name</th><th></th></tr>${chats}</table>
<h2>Recent Bot API calls</h2><table><tr><th>time</th><th>method</th><th>chat</th><th>answer</th></tr>${calls}</table>
</body></html>`;
}

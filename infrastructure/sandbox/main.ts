/**
 * `npm run sandbox`: the Telegram, CryptoCloud, NOWPayments and Mailjet stand-ins on SANDBOX_PORT (default 8090), for a
 * person running the api/bot against them by hand. Logs every Bot API call and postback on one line.
 *
 * Environment (all optional):
 *   SANDBOX_PORT, SANDBOX_HOST, SANDBOX_PUBLIC_URL   where to listen / the base of pay-page links
 *   CRYPTOCLOUD_API_KEY, CRYPTOCLOUD_SECRET_KEY, CRYPTOCLOUD_SHOP_ID   must match the api's settings
 *   SANDBOX_NOTIFY_URL    postback target (default: PUBLIC_URL or http://127.0.0.1:API_PORT, + /cryptocloud_webhook)
 *   SANDBOX_POSTBACK_ENCODING   json (default) or form
 *   NOWPAYMENTS_API_KEY, NOWPAYMENTS_IPN_SECRET   must match the api's settings (defaults: the dev ones)
 *   MAILJET_API_KEY, MAILJET_API_SECRET   must match the api's settings (defaults: the dev ones)
 *   SANDBOX_NOWPAYMENTS_IPN_URL   IPN target for payments created without ipn_callback_url
 *   SANDBOX_CHANNELS      channels to register, e.g. "-1001000000001:Premium Signals,-1001000000002:News"
 *   SANDBOX_BOT_USERNAME  getMe's username (default sandbox_bot)
 */
import { loadDotEnv } from '../config';
import { MAILJET_SANDBOX_DEFAULTS } from './mailjet';
import { NOWPAYMENTS_SANDBOX_DEFAULTS } from './nowpayments';
import { CONTROL_ROUTES, startSandbox } from './server';

// Same credentials as the dev stack: they only open the local emulators.
const DEV_CREDENTIALS = { apiKey: 'dev-sandbox-api-key', secretKey: 'dev-sandbox-project-secret', shopId: 'DEVSHOP1' };

function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`SANDBOX_PORT must be a TCP port, got "${raw}"`);
  return port;
}

function parseChannels(raw: string | undefined): Array<{ id: number; title: string }> {
  if (!raw) return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^(-\d+)(?::(.+))?$/.exec(entry);
      if (!match) throw new Error(`SANDBOX_CHANNELS entry "${entry}" is not "<negative id>:<title>"`);
      return { id: Number(match[1]), title: match[2]?.trim() || `Channel ${match[1]}` };
    });
}

async function main(): Promise<void> {
  loadDotEnv();
  const env = process.env;
  const encoding = env.SANDBOX_POSTBACK_ENCODING ?? 'json';
  if (encoding !== 'json' && encoding !== 'form')
    throw new Error(`SANDBOX_POSTBACK_ENCODING must be json or form, got "${encoding}"`);
  const apiBase = (env.PUBLIC_URL || `http://127.0.0.1:${env.API_PORT || '8080'}`).replace(/\/$/, '');
  const notifyUrl = env.SANDBOX_NOTIFY_URL || `${apiBase}/cryptocloud_webhook`;

  const sandbox = await startSandbox({
    port: parsePort(env.SANDBOX_PORT, 8090),
    host: env.SANDBOX_HOST || '127.0.0.1',
    publicUrl: env.SANDBOX_PUBLIC_URL || undefined,
    cryptocloud: {
      apiKey: env.CRYPTOCLOUD_API_KEY || DEV_CREDENTIALS.apiKey,
      secretKey: env.CRYPTOCLOUD_SECRET_KEY || DEV_CREDENTIALS.secretKey,
      shopId: env.CRYPTOCLOUD_SHOP_ID || DEV_CREDENTIALS.shopId,
      notifyUrl,
      postbackEncoding: encoding,
    },
    telegram: { botUsername: env.SANDBOX_BOT_USERNAME || undefined },
    nowpayments: {
      apiKey: env.NOWPAYMENTS_API_KEY || NOWPAYMENTS_SANDBOX_DEFAULTS.apiKey,
      ipnSecret: env.NOWPAYMENTS_IPN_SECRET || NOWPAYMENTS_SANDBOX_DEFAULTS.ipnSecret,
      defaultIpnCallbackUrl: env.SANDBOX_NOWPAYMENTS_IPN_URL || undefined,
    },
    mailjet: {
      apiKey: env.MAILJET_API_KEY || MAILJET_SANDBOX_DEFAULTS.apiKey,
      secretKey: env.MAILJET_API_SECRET || MAILJET_SANDBOX_DEFAULTS.secretKey,
    },
  });
  for (const channel of parseChannels(env.SANDBOX_CHANNELS)) sandbox.telegram.addChannel(channel);

  sandbox.telegram.onCall((call) => {
    if (call.method === 'getUpdates' && call.ok && Array.isArray(call.result) && call.result.length === 0) return;
    const chatId = call.params.chat_id;
    const chat = typeof chatId === 'number' || typeof chatId === 'string' ? ` chat=${chatId}` : '';
    const outcome = call.ok ? 'ok' : `${call.errorCode} ${call.description}`;
    console.log(`[telegram] ${call.method}${chat} → ${outcome}`);
  });
  sandbox.cryptocloud.onPostback((delivery) => {
    const outcome = delivery.dropped ? 'dropped' : (delivery.error ?? `HTTP ${delivery.status}`);
    console.log(
      `[cryptocloud] postback INV-${delivery.invoiceId} (order ${delivery.orderId ?? '-'}) → ${delivery.url ?? 'no URL'}: ${outcome}`,
    );
  });

  sandbox.nowpayments.onIpn((delivery) => {
    const outcome = delivery.dropped ? 'dropped' : (delivery.error ?? `HTTP ${delivery.answerStatus}`);
    console.log(
      `[nowpayments] IPN ${delivery.paymentId} ${delivery.paymentStatus} (order ${delivery.orderId ?? '-'}) → ${delivery.url ?? 'no URL'}: ${outcome}`,
    );
  });

  console.log(`Sandbox listening on ${sandbox.url}`);
  console.log(`  Telegram Bot API:  TELEGRAM_API_ROOT=${sandbox.url}`);
  console.log(
    `  CryptoCloud API:   CRYPTOCLOUD_API_URL=${sandbox.url}  (shop ${env.CRYPTOCLOUD_SHOP_ID || DEV_CREDENTIALS.shopId})`,
  );
  console.log(`  Postbacks go to:   ${notifyUrl}`);
  console.log(
    `  NOWPayments API:   NOWPAYMENTS_API_URL=${sandbox.url}/v1  (IPNs go to each payment's ipn_callback_url)`,
  );
  console.log(`  Mailjet Send API:  EMAIL_TRANSPORT=mailjet MAILJET_API_URL=${sandbox.url}`);
  console.log(`  Dashboard:         ${sandbox.url}/`);
  console.log('  Control API (JSON; see the README, "Sandbox and its control API"):');
  for (const route of CONTROL_ROUTES) console.log(`    ${route}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing the sandbox`);
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

/**
 * One subscriber's whole journey, driven through the sandbox exactly as a person would: /start,
 * accept the terms, pick a plan, pay, receive the invite, join, be reminded, expire, be removed.
 * `/myplan` is asked at every step. Used by `npm run demo` and by the end-to-end journey test.
 */
import type { SentMessage } from '../sandbox/telegram';
import type { Sandbox } from '../sandbox/server';

export interface JourneyOptions {
  sandbox: Sandbox;
  planId: string;
  channelId: number;
  userId: number;
  /** Temporal Web UI base URL, to print where each workflow can be inspected. */
  temporalUiUrl?: string;
  namespace?: string;
  log?: (line: string) => void;
  /** Longest wait for any one step (the subscription's own timers decide the pace). */
  stepTimeoutMs?: number;
}

export interface JourneyStep {
  at: string;
  step: string;
  myPlan: string;
}

export async function playSubscriberJourney(options: JourneyOptions): Promise<JourneyStep[]> {
  const { sandbox, planId, channelId, userId } = options;
  const telegram = sandbox.telegram;
  const timeout = options.stepTimeoutMs ?? 60_000;
  const from = { id: userId, first_name: 'Dana', username: `dana${userId}`, language_code: 'en' };
  const steps: JourneyStep[] = [];
  const log = options.log ?? (() => {});
  const workflowLink = (workflowId: string) =>
    options.temporalUiUrl
      ? `${options.temporalUiUrl}/namespaces/${options.namespace ?? 'default'}/workflows/${encodeURIComponent(workflowId)}`
      : workflowId;

  const after = (seq: number) => (m: SentMessage) => m.message_id > seq;
  const lastId = () => telegram.messagesTo(userId).at(-1)?.message_id ?? 0;
  const waitText = (pattern: RegExp, since = 0) =>
    telegram.waitForMessage(userId, (m) => m.message_id > since && pattern.test(m.text ?? ''), timeout);
  const press = async (message: SentMessage, data: RegExp) => {
    const button = (
      message.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined
    )?.inline_keyboard
      ?.flat()
      .find((b) => b.callback_data && data.test(b.callback_data));
    if (!button?.callback_data) throw new Error(`no button matching ${data} on message ${message.message_id}`);
    const since = lastId();
    telegram.pressButton({ from, message_id: message.message_id, data: button.callback_data });
    return since;
  };
  const myPlan = async () => {
    const since = lastId();
    telegram.sendText({ from, text: '/myplan' });
    const reply = await telegram.waitForMessage(
      userId,
      (m) => m.message_id > since && /subscription|Your subscriptions|terms/i.test(m.text ?? ''),
      timeout,
    );
    return (reply.text ?? '').replace(/\n+/g, ' | ');
  };
  const record = async (step: string) => {
    const entry = { at: new Date().toISOString(), step, myPlan: await myPlan() };
    steps.push(entry);
    log(`${entry.at}  ${step}\n${' '.repeat(26)}/myplan → ${entry.myPlan}`);
  };

  telegram.addUser(from, { startedBot: true });
  telegram.sendText({ from, text: '/start' });
  const terms = await waitText(/Terms of service/);
  await record('started the bot and was shown the terms');

  let since = await press(terms, /^terms_accept/);
  const plansMessage = await telegram.waitForMessage(
    userId,
    (m) => after(since)(m) && /Choose a plan/.test(m.text ?? ''),
    timeout,
  );
  await record('accepted the terms; plans shown');

  since = await press(plansMessage, new RegExp(`^plan:${planId}$`));
  const details = await telegram.waitForMessage(userId, (m) => after(since)(m) && /Price:/.test(m.text ?? ''), timeout);
  since = await press(details, new RegExp(`^pay:${planId}$`));
  const invoiceMessage = await waitText(/Invoice for/, since);
  const payUrl = JSON.stringify(invoiceMessage.reply_markup).match(/https?:\/\/[^"]+\/pay\/[\w-]+/)?.[0];
  const invoice = sandbox.cryptocloud.invoices().find((i) => i.link === payUrl);
  if (!invoice?.order_id) throw new Error('the invoice message has no pay link of a sandbox invoice');
  await record(
    `picked plan ${planId} and got invoice ${invoice.order_id} (${payUrl}); workflow ${workflowLink(`invoice:${invoice.order_id}`)}`,
  );

  since = lastId();
  await sandbox.cryptocloud.pay(invoice.uuid);
  const access = await waitText(/subscription is active/, since);
  const inviteLink = JSON.stringify(access.reply_markup).match(/https:\/\/t\.me\/\+[\w-]+/)?.[0];
  if (!inviteLink) throw new Error('the activation message carries no invite link');
  await record(
    `paid; received the personal invite link ${inviteLink}; workflow ${workflowLink(`subscription:${userId}:${planId}`)}`,
  );

  telegram.requestJoin({ from, chatId: channelId, inviteLink });
  await telegram.waitForCall('approveChatJoinRequest', (c) => c.params.user_id === userId, timeout);
  if (telegram.member(channelId, userId) !== 'member') throw new Error('the join request was not approved');
  await record('asked to join the channel with the link and was let in');

  since = lastId();
  await waitText(/ends on/, since);
  await record('was reminded before expiry (with a renew button)');

  await waitText(/You keep access until/, since);
  await record('the period ended; grace period running');

  await waitText(/access was removed/, since);
  const status = telegram.member(channelId, userId);
  if (status === 'member') throw new Error('the member was not removed');
  await record(`was removed from the channel (now "${status}"), and may subscribe again`);
  return steps;
}

/** The product's own status lines of /myplan, to assert on. */
export function myPlanStatus(line: string): 'none' | 'active' | 'grace' | 'ended' | 'terms' | 'other' {
  if (/accept the terms/i.test(line)) return 'terms';
  if (/no subscription/i.test(line)) return 'none';
  if (/active until/.test(line)) return 'active';
  if (/access kept until/.test(line)) return 'grace';
  if (/⌛ ended on/.test(line)) return 'ended';
  return 'other';
}

/**
 * The same plan bought on the other rails, through the bot as a person would: a crypto address with
 * its QR code (NOWPayments, paid in the sandbox), and Telegram Stars (pre-checkout, then payment).
 * Each ends with the activation message. Used by `npm run demo` and the journey test.
 */
export async function playRailPurchases(options: Omit<JourneyOptions, 'channelId'>): Promise<JourneyStep[]> {
  const { sandbox, planId } = options;
  const telegram = sandbox.telegram;
  const timeout = options.stepTimeoutMs ?? 60_000;
  const log = options.log ?? (() => {});
  const steps: JourneyStep[] = [];
  const buttonData = (message: SentMessage, data: RegExp) =>
    (
      message.reply_markup as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined
    )?.inline_keyboard
      ?.flat()
      .find((b) => b.callback_data && data.test(b.callback_data))?.callback_data;

  for (const [offset, rail] of (['nowpayments', 'stars'] as const).entries()) {
    const userId = options.userId + offset;
    const from = { id: userId, first_name: rail === 'stars' ? 'Sam' : 'Noor', language_code: 'en' };
    const note = (step: string) => {
      const entry = { at: new Date().toISOString(), step: `${rail}: ${step}`, myPlan: '' };
      steps.push(entry);
      log(`${entry.at}  ${entry.step}`);
    };
    const waitFor = (pattern: RegExp, since: number) =>
      telegram.waitForMessage(userId, (m) => m.message_id > since && pattern.test(m.text ?? m.caption ?? ''), timeout);
    const last = () => telegram.messagesTo(userId).at(-1)?.message_id ?? 0;
    const press = async (message: SentMessage, data: RegExp, expect: RegExp) => {
      const found = buttonData(message, data);
      if (!found) throw new Error(`no button matching ${data} on message ${message.message_id}`);
      const since = last();
      telegram.pressButton({ from, message_id: message.message_id, data: found });
      return waitFor(expect, since);
    };

    telegram.addUser(from, { startedBot: true });
    telegram.sendText({ from, text: '/start' });
    const terms = await waitFor(/Terms of service/, 0);
    const plans = await press(terms, /^terms_accept/, /Choose a plan/);
    const details = await press(plans, new RegExp(`^plan:${planId}$`), /Price:/);
    if (rail === 'nowpayments') {
      const coins = await press(details, new RegExp(`^payr:nowpayments:${planId}$`), /Choose the coin/);
      const address = await press(coins, new RegExp(`^paycoin:btc:${planId}$`), /Send exactly/);
      note(`chose BTC and got an address with a QR photo: ${(address.caption ?? '').split('\n')[2] ?? ''}`);
      const payment = sandbox.nowpayments.payments().find((p) => address.caption?.includes(p.payAddress));
      if (!payment) throw new Error('the address message names no sandbox payment');
      const since = last();
      await sandbox.nowpayments.pay(payment.paymentId).done;
      await waitFor(/subscription is active/, since);
      note('paid; the IPN was verified, NOWPayments confirmed it, and the subscription is active');
    } else {
      const since = last();
      const pay = buttonData(details, new RegExp(`^payr:stars:${planId}$`));
      if (!pay) throw new Error('the plan offers no Stars button');
      telegram.pressButton({ from, message_id: details.message_id, data: pay });
      const invoice = await telegram.waitForMessage(userId, (m) => m.message_id > since && !!m.invoice, timeout);
      note(`got a Stars invoice for ${invoice.invoice?.total_amount ?? '?'} ⭐`);
      const paid = await telegram.payInvoice({ userId, messageId: invoice.message_id });
      if (paid.outcome !== 'paid') throw new Error(`the Stars payment ended ${paid.outcome}`);
      await waitFor(/subscription is active/, since);
      note(`paid (pre-checkout answered, charge ${paid.chargeId ?? '?'}); the subscription is active`);
    }
  }
  return steps;
}

/**
 * Seller and refund payouts end to end: a crypto sale held, released and withdrawn, every /balance
 * figure checked against the ledger's sums at each step; requests racing for one balance; two
 * admins deciding at once; the payout emails (Mailpit) in the seller's language, none when opted
 * out; a clawed-back (negative) balance blocking payouts; Stars proceeds refused; a crypto order
 * refund paid to the buyer's wallet through the `rfw` button and /paid. Real Temporal, PostgreSQL,
 * Mailpit; the Telegram and CryptoCloud sandboxes.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { post } from '../../activities/ledger';
import { escrowKeys } from '../../domain/escrow';
import { accounts } from '../../domain/ledger';
import { PayoutRequestError } from '../../domain/payout';
import { ledgerEntries, payoutRequests, sellers, users } from '../../infrastructure/db/schema';
import type { SentMessage } from '../../infrastructure/sandbox/telegram';
import { owedOn, sellerBalances } from '../../infrastructure/read-models/balances';
import { buttonsOf, callbackDataOf, conversation, hasButton, textMatches } from '../conversation';
import { eventually, setupStackBucket, startStack, storageEnv, type Stack } from '../harness';
import { assertLedgerInvariant } from '../ledger';
import { inbox, mailpitMessage } from '../mailpit';
import { listedProduct, newBuyer } from '../marketplace';
import { workflowsSettled } from '../settled';

const TRON = 'TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL';
const BSC = '0x52908400098527886E0F7030069857D2E4169EE7';
const HOLD_MS = 6_000;
const ADMIN = { id: 800_000_000 + Math.floor(Math.random() * 99_999_999), first_name: 'Admin' };
const OTHER_ADMIN = { id: ADMIN.id + 1, first_name: 'Other admin' };

let stack: Stack;
beforeAll(async () => {
  const smtp = inject('smtp');
  stack = await startStack({
    ...storageEnv('sellerpay'),
    ESCROW_HOLD: '6s',
    MARKETPLACE_FEE_BPS: '1000',
    ADMIN_IDS: `${ADMIN.id},${OTHER_ADMIN.id}`,
    SELLER_PAYOUT_MINIMUM_MINOR: '500',
    PAYOUT_REMINDER_EVERY: '1h',
    SMTP_URL: `smtp://${smtp.host}:${smtp.port}`,
    EMAIL_FROM: 'Shop alerts <alerts@shop.example.com>',
  });
  await setupStackBucket(stack);
  await stack.addUser(ADMIN.id);
  await stack.addUser(OTHER_ADMIN.id);
});
afterAll(async () => {
  await stack?.stop();
});

const tg = () => stack.sandbox.telegram;
const db = () => stack.runtime.db;
const commands = () => stack.runtime.commands;
const { say, press } = conversation(tg);
const userOf = (id: number) => ({ id, first_name: `User ${id}` });
const payoutRow = async (payoutId: string) =>
  (await db().select().from(payoutRequests).where(eq(payoutRequests.id, payoutId)))[0];
const settled = (ids: string[]) => workflowsSettled(stack.runtime.temporal.client, ids);

/** A seller's money straight from the ledger, in one currency: what /balance must show. */
async function ledgerOfSeller(sellerId: number, currency = 'USD') {
  const [held, available, reserved, reservedEntries] = await Promise.all([
    owedOn(db(), accounts.sellerHeld(sellerId), currency),
    owedOn(db(), accounts.sellerAvailable(sellerId), currency),
    owedOn(db(), accounts.sellerReserved(sellerId), currency),
    db()
      .select({ amount: ledgerEntries.amountMinor, kind: ledgerEntries.kind, currency: ledgerEntries.currency })
      .from(ledgerEntries)
      .where(eq(ledgerEntries.account, accounts.sellerReserved(sellerId))),
  ]);
  // Paid out: what left the reserved bucket to the payout wallet.
  const paidOut = reservedEntries
    .filter((e) => e.kind === 'payout-paid' && e.currency === currency)
    .reduce((sum, e) => sum + e.amount, 0n);
  return { held, available, reserved, paidOut };
}

const usd = (minor: bigint) => {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')} USD`;
};

/** /balance as the seller sees it, checked line by line against the ledger's sums. */
async function balanceMatchesLedger(sellerId: number) {
  const shown = await say(userOf(sellerId), '/balance', textMatches(/sales balance/));
  const l = await ledgerOfSeller(sellerId);
  const { money } = await sellerBalances(db(), sellerId);
  const fees = money.find((m) => m.currency === 'USD')?.fees ?? 0n;
  expect(shown.text).toContain(
    `In escrow ${usd(l.held)} · available ${usd(l.available)} · platform fee taken ${usd(fees)}`,
  );
  expect(shown.text).toContain(`Reserved by payout requests ${usd(l.reserved)} · paid out ${usd(l.paidOut)}`);
  return { shown, ...l, fees };
}

/** Money in a seller's available balance, as if sales had been released (a balanced test posting). */
async function fundSeller(sellerId: number, amountMinor: bigint, currency = 'USD') {
  await post(db(), {
    key: `test:${randomUUID()}:fund-seller`,
    kind: 'test-funding',
    currency,
    legs: [
      { account: 'test:funding', amountMinor },
      { account: accounts.sellerAvailable(sellerId), amountMinor: -amountMinor },
    ],
  });
}

async function sellerWith(amountMinor: bigint, fields: Partial<typeof sellers.$inferInsert> = {}) {
  const { sellerId } = await listedProduct(stack, { priceMinor: 1500n, priceStars: null });
  if (Object.keys(fields).length > 0) await db().update(sellers).set(fields).where(eq(sellers.userId, sellerId));
  if (amountMinor > 0n) await fundSeller(sellerId, amountMinor);
  return sellerId;
}

/** A crypto (CryptoCloud, USD) sale paid by a new buyer; resolves once the escrow hold is posted. */
async function paidCryptoSale(product: Awaited<ReturnType<typeof listedProduct>>) {
  const { userId } = await newBuyer(stack);
  const { orderId, invoiceId } = await commands().openOrder({
    buyerId: userId,
    productId: product.productId,
    rail: 'cryptocloud',
  });
  await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
  await stack.sandbox.cryptocloud.pay(invoiceId);
  await eventually('the escrow hold posted', async () => {
    const rows = await db()
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.transactionKey, escrowKeys.hold(orderId)));
    return rows.length > 0;
  });
  return { buyerId: userId, orderId, invoiceId };
}

/** The admin message of a payout request, for each admin. */
const adminMessageOf = (adminId: number, payoutId: string) =>
  tg().waitForMessage(adminId, (m) => hasButton(`payout:approve:${payoutId}`)(m));

const payoutIdIn = (message: SentMessage) => /(?:Payout request|Your refund) (\S+)/.exec(message.text ?? '')![1]!;

/** Answer to a button press, once the bot has given it. */
const answerTo = (queryId: string) =>
  eventually('the button answered', () =>
    tg().callbackAnswer(queryId)?.answered ? tg().callbackAnswer(queryId) : undefined,
  );

async function payoutsShowing(status: string, kind: string, payoutId: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = 'payoutWorkflow' AND PayeeKind = '${kind}' AND ProcessStatus = '${status}'`;
  for await (const workflow of stack.runtime.temporal.client.workflow.list({ query }))
    if (workflow.workflowId === `payout:${payoutId}`) ids.push(workflow.workflowId);
  return ids;
}

const mailsAbout = async (address: string, payoutId: string) =>
  Promise.all(
    (await inbox(address))
      .filter((m) => m.Subject.includes(payoutId))
      .map(async ({ ID }) => {
        const mail = await mailpitMessage(ID);
        return { subject: mail.Subject, text: mail.Text };
      }),
  );
const mailArrived = (address: string, payoutId: string, subject: string) =>
  eventually(`the email "${subject}" to ${address}`, async () =>
    (await mailsAbout(address, payoutId)).find((m) => m.subject === subject),
  );

describe('seller payouts', () => {
  it('sale → hold → release → payout requested by buttons → approved → paid: /balance equals the ledger at every step, an email at each step', async () => {
    const product = await listedProduct(stack, { priceMinor: 1500n, priceStars: null });
    const sellerId = product.sellerId;
    const seller = userOf(sellerId);
    const address = `payouts-${sellerId}@example.com`;
    await db().update(sellers).set({ alertEmail: address }).where(eq(sellers.userId, sellerId));

    const { orderId } = await paidCryptoSale(product);
    // In escrow: 15.00 less the 10 % fee.
    const during = await balanceMatchesLedger(sellerId);
    expect([during.held, during.available, during.reserved, during.paidOut, during.fees]).toEqual([
      1350n,
      0n,
      0n,
      0n,
      150n,
    ]);
    expect(callbackDataOf(during.shown)).toEqual([]);

    await eventually(
      'the escrow released',
      async () => (await commands().escrowState(orderId))?.stage === 'released',
      HOLD_MS + 20_000,
    );
    const released = await balanceMatchesLedger(sellerId);
    expect([released.held, released.available, released.reserved]).toEqual([0n, 1350n, 0n]);
    expect(callbackDataOf(released.shown)).toEqual(['pask:seller:USD']);

    // The button → the network → the wallet (a wrong one first) → the amount (a bad one first).
    const networks = await press(seller, released.shown, 'pask:seller:USD', hasButton('pnet:seller:USD:TRC20'));
    expect(callbackDataOf(networks)).toEqual([
      'pnet:seller:USD:TRC20',
      'pnet:seller:USD:BEP20',
      'pnet:seller:USD:ERC20',
    ]);
    const walletPrompt = await press(seller, networks, 'pnet:seller:USD:TRC20', textMatches(/TRC20 wallet address/));
    expect(walletPrompt.reply_markup).toMatchObject({ force_reply: true });
    await say(seller, BSC, textMatches(/not a TRC20 \(TRON\) address/));
    const amountPrompt = await say(seller, TRON, textMatches(/How much\?/));
    expect(amountPrompt.text).toContain('Available: 13.50 USD · minimum: 5.00 USD');
    await say(seller, '4.99', textMatches(/minimum payout is 5\.00 USD/));
    await say(seller, '13.51', textMatches(/You asked for 13\.51 USD, but only 13\.50 USD is available/));
    // The refusal of the balance ends the steps; the button starts them again.
    const again = await press(seller, released.shown, 'pask:seller:USD', hasButton('pnet:seller:USD:TRC20'));
    await press(seller, again, 'pnet:seller:USD:TRC20', textMatches(/TRC20 wallet address/));
    await say(seller, TRON, textMatches(/How much\?/));
    const requested = await say(seller, '10', textMatches(/Payout request .* received/));
    const payoutId = payoutIdIn(requested);
    expect(requested.text).toBe(
      `🕓 Payout request ${payoutId} for 10.00 USD to ${TRON} (TRC20) received. An admin will review it.`,
    );
    expect(await payoutRow(payoutId)).toMatchObject({ source: 'seller', status: 'requested', amountMinor: 1000n });

    const reserved = await balanceMatchesLedger(sellerId);
    expect([reserved.available, reserved.reserved, reserved.paidOut]).toEqual([350n, 1000n, 0n]);
    // An admin finds it in Temporal UI by payee kind and status.
    await eventually(
      'found by PayeeKind in Temporal visibility',
      async () => (await payoutsShowing('requested', 'seller', payoutId)).length === 1,
    );
    const requestedMail = await mailArrived(address, payoutId, `Payout request ${payoutId} received`);
    expect(requestedMail.text).toContain(`Hello Shop ${sellerId}`);
    expect(requestedMail.text).toContain(`10.00 USD to ${TRON} (TRC20)`);

    const adminMessage = await adminMessageOf(ADMIN.id, payoutId);
    expect(adminMessage.text).toBe(
      `🏦 Seller payout request ${payoutId}: 10.00 USD for seller ${sellerId} to ${TRON} (TRC20).`,
    );
    const approved = await press(ADMIN, adminMessage, `payout:approve:${payoutId}`, textMatches(/approved/));
    expect(approved.text).toContain(`/paid ${payoutId}`);
    await tg().waitForMessage(sellerId, textMatches(new RegExp(`Payout ${payoutId} for 10.00 USD was approved`)));
    await mailArrived(address, payoutId, `Payout ${payoutId} approved`);

    const txHash = 'cd'.repeat(32);
    await say(ADMIN, `/paid ${payoutId} ${txHash}`, textMatches(/marked as paid/));
    await tg().waitForMessage(sellerId, textMatches(new RegExp(`Transaction: ${txHash}`)));
    const paidMail = await mailArrived(address, payoutId, `Payout ${payoutId} sent: 10.00 USD`);
    expect(paidMail.text).toContain(`Transaction: ${txHash}`);
    expect(await payoutRow(payoutId)).toMatchObject({ status: 'paid', txHash, decidedBy: ADMIN.id });
    const legs = await db()
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.transactionKey, `payout:${payoutId}:paid`));
    expect(Object.fromEntries(legs.map((e) => [e.account, e.amountMinor]))).toEqual({
      [accounts.sellerReserved(sellerId)]: 1000n,
      [accounts.payoutsSent()]: -1000n,
    });
    const paid = await balanceMatchesLedger(sellerId);
    expect([paid.held, paid.available, paid.reserved, paid.paidOut, paid.fees]).toEqual([0n, 350n, 0n, 1000n, 150n]);
    // Below the minimum now: no button.
    expect(callbackDataOf(paid.shown)).toEqual([]);
    await settled([`payout:${payoutId}`]);
    // One email per step, no more.
    expect((await mailsAbout(address, payoutId)).map((m) => m.subject).sort()).toEqual(
      [
        `Payout request ${payoutId} received`,
        `Payout ${payoutId} approved`,
        `Payout ${payoutId} sent: 10.00 USD`,
      ].sort(),
    );
    await assertLedgerInvariant(db());
  });

  it('two requests racing for one balance: at most the balance is reserved', async () => {
    const sellerId = await sellerWith(2000n);
    const ask = () =>
      commands().requestPayout({
        source: 'seller',
        requesterId: sellerId,
        amountMinor: 1500n,
        currency: 'USD',
        network: 'TRC20',
        wallet: TRON,
      });
    const outcomes = await Promise.all([ask(), ask()]);
    expect(outcomes.filter((o) => o.accepted)).toHaveLength(1);
    expect(outcomes.find((o) => !o.accepted)).toMatchObject({ reason: 'insufficient_balance', availableMinor: '500' });
    // And through the bot at once: two /withdraw of 5.00 over the 5.00 left.
    const seller = userOf(sellerId);
    tg().sendText({ from: seller, text: `/withdraw 5 TRC20 ${TRON}` });
    tg().sendText({ from: seller, text: `/withdraw 5 BSC ${BSC}` });
    await eventually('both /withdraw answered', () => {
      const texts = tg()
        .messagesTo(sellerId)
        .map((m) => m.text ?? '');
      return (
        texts.some((t) => /Payout request .* for 5\.00 USD/.test(t)) &&
        texts.some((t) => /only 0\.00 USD is available/.test(t))
      );
    });
    const l = await ledgerOfSeller(sellerId);
    expect([l.available, l.reserved]).toEqual([0n, 2000n]);
    const rows = await db().select().from(payoutRequests).where(eq(payoutRequests.requesterId, sellerId));
    expect(rows.map((r) => Number(r.amountMinor)).sort((x, y) => x - y)).toEqual([500, 1500]);
    expect(rows.every((r) => r.source === 'seller')).toBe(true);
    await assertLedgerInvariant(db());
  });

  it('two admins at once, Approve and Reject on their own copies: one outcome, both told the truth', async () => {
    const sellerId = await sellerWith(3000n);
    const requestOf = async (amountMinor: bigint) => {
      const outcome = await commands().requestPayout({
        source: 'seller',
        requesterId: sellerId,
        amountMinor,
        currency: 'USD',
        network: 'TRC20',
        wallet: TRON,
      });
      expect(outcome.accepted).toBe(true);
      return outcome.payoutId;
    };

    // At once.
    const raced = await requestOf(1000n);
    const [mine, theirs] = await Promise.all([adminMessageOf(ADMIN.id, raced), adminMessageOf(OTHER_ADMIN.id, raced)]);
    const approveId = tg().pressButton({ from: ADMIN, message_id: mine.message_id, data: `payout:approve:${raced}` });
    const rejectId = tg().pressButton({
      from: OTHER_ADMIN,
      message_id: theirs.message_id,
      data: `payout:reject:${raced}`,
    });
    const [approveAnswer, rejectAnswer] = await Promise.all([answerTo(approveId), answerTo(rejectId)]);
    const row = await eventually('decided', async () => {
      const r = await payoutRow(raced);
      return r?.status === 'approved' || r?.status === 'rejected' ? r : undefined;
    });
    await settled([`payout:${raced}`]);
    expect(await payoutRow(raced)).toMatchObject({ status: row.status }); // not undone a moment later
    const [winner, loser, loserAnswer] =
      row.status === 'approved' ? [ADMIN, OTHER_ADMIN, rejectAnswer] : [OTHER_ADMIN, ADMIN, approveAnswer];
    expect(row.decidedBy).toBe(winner.id);
    expect(loserAnswer?.text).toBe(
      `⚠️ Payout ${raced} is ${row.status} (decided by ${winner.id}): it cannot be ${row.status === 'approved' ? 'rejected' : 'approved'}.`,
    );
    expect((row.status === 'approved' ? approveAnswer : rejectAnswer)?.text ?? '').toBe('');
    // The loser also finds it in the chat, and their copy lost its buttons.
    await tg().waitForMessage(loser.id, textMatches(new RegExp(`Payout ${raced} is ${row.status} \\(decided by`)));
    await eventually('the loser copy without buttons', () => {
      const copy = tg()
        .messagesTo(loser.id)
        .find((m) => m.message_id === (loser === ADMIN ? mine : theirs).message_id);
      return copy && buttonsOf(copy).length === 0;
    });
    const sellerTold = tg()
      .messagesTo(sellerId)
      .filter((m) => new RegExp(`Payout ${raced} for 10.00 USD was (approved|rejected)`).test(m.text ?? ''));
    expect(sellerTold).toHaveLength(1);
    const afterRace = await ledgerOfSeller(sellerId);
    expect([afterRace.available, afterRace.reserved]).toEqual(row.status === 'approved' ? [2000n, 1000n] : [3000n, 0n]);

    // One after the other: a Reject pressed on a copy that still shows the request does not undo the approval.
    const second = await requestOf(1000n);
    const [first, stale] = await Promise.all([
      adminMessageOf(ADMIN.id, second),
      adminMessageOf(OTHER_ADMIN.id, second),
    ]);
    await press(ADMIN, first, `payout:approve:${second}`, textMatches(/approved/));
    const staleId = tg().pressButton({
      from: OTHER_ADMIN,
      message_id: stale.message_id,
      data: `payout:reject:${second}`,
    });
    expect((await answerTo(staleId))?.text).toBe(
      `⚠️ Payout ${second} is approved (decided by ${ADMIN.id}): it cannot be rejected.`,
    );
    await settled([`payout:${second}`]);
    expect(await payoutRow(second)).toMatchObject({ status: 'approved', decidedBy: ADMIN.id });
    // A typed /reject still cancels an approved payout that cannot be sent.
    await say(
      OTHER_ADMIN,
      `/reject ${second} wallet frozen`,
      textMatches(/rejected \(wallet frozen\).*seller's available/),
    );
    await eventually('rejected', async () => (await payoutRow(second))?.status === 'rejected');
    await assertLedgerInvariant(db());
  });

  it('/payouts lists what waits, with kind, amount, wallet and age; its buttons decide one request each', async () => {
    const sellerId = await sellerWith(2000n);
    const outcome = await commands().requestPayout({
      source: 'seller',
      requesterId: sellerId,
      amountMinor: 700n,
      currency: 'USD',
      network: 'BEP20',
      wallet: BSC,
    });
    const approvedOne = await commands().requestPayout({
      source: 'seller',
      requesterId: sellerId,
      amountMinor: 600n,
      currency: 'USD',
      network: 'TRC20',
      wallet: TRON,
    });
    await commands().approvePayout(approvedOne.payoutId, ADMIN.id);
    await eventually('approved', async () => (await payoutRow(approvedOne.payoutId))?.status === 'approved');

    const list = await say(ADMIN, '/payouts', textMatches(/Payout requests waiting/));
    expect(list.text).toContain(`${outcome.payoutId} · seller ${sellerId} · 7.00 USD · BEP20 ${BSC} · waiting `);
    expect(list.text).toMatch(
      new RegExp(
        `${approvedOne.payoutId} · seller ${sellerId} · 6\\.00 USD · TRC20 ${TRON} · approved, waiting (<1m|\\d+m)`,
      ),
    );
    const data = callbackDataOf(list);
    expect(data).toContain(`payout:approve:${outcome.payoutId}`);
    expect(data).toContain(`payout:reject:${outcome.payoutId}`);
    expect(data).not.toContain(`payout:approve:${approvedOne.payoutId}`);

    await press(ADMIN, list, `payout:reject:${outcome.payoutId}`, textMatches(/rejected.*seller's available balance/));
    await eventually('rejected', async () => (await payoutRow(outcome.payoutId))?.status === 'rejected');
    const edited = tg()
      .messagesTo(ADMIN.id)
      .find((m) => m.message_id === list.message_id)!;
    expect(callbackDataOf(edited)).not.toContain(`payout:reject:${outcome.payoutId}`);
    const after = await say(ADMIN, '/payouts', textMatches(/Payout requests waiting|No payout requests/));
    expect(after.text).not.toContain(outcome.payoutId);
    await say(userOf(sellerId), '/payouts', textMatches(/don't know the command/));
    await commands().rejectPayout(approvedOne.payoutId, ADMIN.id, 'test over');
    await eventually('rejected', async () => (await payoutRow(approvedOne.payoutId))?.status === 'rejected');
    await assertLedgerInvariant(db());
  });

  it('payout emails in the seller language (Russian); none for a seller who opted out of payout emails', async () => {
    const ruAddress = `ru-payouts-${randomUUID().slice(0, 8)}@example.com`;
    const ruSeller = await sellerWith(1500n, { alertEmail: ruAddress });
    await db().update(users).set({ language: 'ru' }).where(eq(users.id, ruSeller));
    const requested = await say(userOf(ruSeller), `/withdraw 12 TRC20 ${TRON}`, textMatches(/Заявка на вывод/));
    const ruPayout = /Заявка на вывод (\S+)/.exec(requested.text!)![1]!;
    await mailArrived(ruAddress, ruPayout, `Заявка на выплату ${ruPayout} принята`);
    await commands().rejectPayout(ruPayout, ADMIN.id, 'кошелёк заблокирован');
    const rejected = await mailArrived(ruAddress, ruPayout, `Выплата ${ruPayout} отклонена`);
    expect(rejected.text).toContain('отклонена: кошелёк заблокирован');
    expect(rejected.text).toContain(`Здравствуйте, Shop ${ruSeller}!`);

    const quietAddress = `quiet-${randomUUID().slice(0, 8)}@example.com`;
    const quiet = await sellerWith(1500n, { alertEmail: quietAddress, alertOptOuts: ['payout'] });
    const outcome = await commands().requestPayout({
      source: 'seller',
      requesterId: quiet,
      amountMinor: 1000n,
      currency: 'USD',
      network: 'TRC20',
      wallet: TRON,
    });
    await commands().markPayoutPaid(outcome.payoutId, ADMIN.id, 'ef'.repeat(32));
    await tg().waitForMessage(quiet, textMatches(/Transaction: (ef)+/));
    await settled([`payout:${outcome.payoutId}`]);
    expect(await inbox(quietAddress)).toEqual([]);
    // Telegram still told them at each step.
    expect(
      tg()
        .messagesTo(quiet)
        .filter((m) => (m.text ?? '').includes(outcome.payoutId)),
    ).toHaveLength(2);
    await assertLedgerInvariant(db());
  });

  it('a refund after the release claws back from the seller: the negative balance blocks payouts until a sale covers it', async () => {
    const product = await listedProduct(stack, { priceMinor: 3000n, priceStars: null });
    const { sellerId } = product;
    const seller = userOf(sellerId);
    const released = async (orderId: string) =>
      eventually(
        'the escrow released',
        async () => (await commands().escrowState(orderId))?.stage === 'released',
        HOLD_MS + 20_000,
      );
    // A sale released (27.00 after the 10 % fee); 20.00 of it withdrawn and paid.
    const sale = await paidCryptoSale(product);
    await released(sale.orderId);
    const requested = await say(seller, `/withdraw 20 TRC20 ${TRON}`, textMatches(/Payout request .* for 20\.00 USD/));
    const payoutId = payoutIdIn(requested);
    await say(ADMIN, `/paid ${payoutId} ${'ef'.repeat(32)}`, textMatches(/marked as paid/));
    expect((await balanceMatchesLedger(sellerId)).available).toBe(700n);

    // The buyer is refunded after the release: the seller's 27.00 is clawed back from available.
    expect(await commands().refundOrder(sale.orderId, 'ops')).toMatchObject({ outcome: 'clawed-back' });
    await eventually('the clawback posted', async () => (await ledgerOfSeller(sellerId)).available === -2000n);
    const shown = await balanceMatchesLedger(sellerId);
    expect(shown.shown.text).toContain('Available is -20.00 USD after a refund was clawed back');
    expect(callbackDataOf(shown.shown)).toEqual([]);
    expect(await owedOn(db(), accounts.userRefund(sale.buyerId), 'USD')).toBe(3000n);
    await say(
      seller,
      `/withdraw 5 TRC20 ${TRON}`,
      textMatches(/Your available balance is -20\.00 USD: a refund took back money already released to you/),
    );
    // A stale button says the same; the workflow itself refuses too.
    const stale = tg().pressButton({
      from: seller,
      message_id: shown.shown.message_id,
      data: 'pask:seller:USD',
      force: true,
    });
    await answerTo(stale);
    await tg().waitForMessage(sellerId, textMatches(/Payouts are blocked until new earnings cover it\.$/));
    expect(
      await commands().requestPayout({
        source: 'seller',
        requesterId: sellerId,
        amountMinor: 500n,
        currency: 'USD',
        network: 'TRC20',
        wallet: TRON,
      }),
    ).toMatchObject({ accepted: false, availableMinor: '-2000' });
    expect(await db().select().from(payoutRequests).where(eq(payoutRequests.requesterId, sellerId))).toHaveLength(1);

    // The next sale, once released, covers the debt first: 7.00 is available again.
    const next = await paidCryptoSale(product);
    await released(next.orderId);
    expect((await balanceMatchesLedger(sellerId)).available).toBe(700n);
    await say(seller, `/withdraw 5 TRC20 ${TRON}`, textMatches(/Payout request .* for 5\.00 USD/));
    expect((await ledgerOfSeller(sellerId)).available).toBe(200n);
    await assertLedgerInvariant(db());
  });

  it('Stars proceeds are not paid out to a wallet', async () => {
    const sellerId = await sellerWith(0n);
    await fundSeller(sellerId, 300n, 'XTR');
    const shown = await say(userOf(sellerId), '/balance', textMatches(/sales balance/));
    expect(shown.text).toContain('available ⭐ 300');
    expect(shown.text).toContain('Stars proceeds are not paid out to a crypto wallet.');
    expect(callbackDataOf(shown)).toEqual([]);
    await say(userOf(sellerId), `/withdraw 300 TRC20 ${TRON}`, textMatches(/Stars proceeds are not paid out/));
    await expect(
      commands().requestPayout({
        source: 'seller',
        requesterId: sellerId,
        amountMinor: 300n,
        currency: 'XTR',
        network: 'TRC20',
        wallet: TRON,
      }),
    ).rejects.toThrow(PayoutRequestError);
  });
});

describe('refund payouts', () => {
  it('a crypto order refunded in the hold: the buyer gives a wallet (rfw), the whole refund is reserved, /paid sends it', async () => {
    const product = await listedProduct(stack, { priceMinor: 1500n, priceStars: null });
    const { buyerId, orderId } = await paidCryptoSale(product);
    const buyer = userOf(buyerId);
    await say(buyer, '/refund_wallet', textMatches(/no refund owed to you/));

    expect(await commands().refundOrder(orderId, 'ops')).toMatchObject({ outcome: 'refunded' });
    await eventually('the escrow refunded', async () => (await commands().escrowState(orderId))?.stage === 'refunded');
    expect(await owedOn(db(), accounts.userRefund(buyerId), 'USD')).toBe(1500n);

    // The escrow's refund notice carries the wallet button: the buyer presses it.
    const notice = await tg().waitForMessage(buyerId, hasButton('rfw'));
    expect(notice.text).toMatch(/was refunded: 15\.00 USD will be paid back to you in crypto/);
    const networks = await press(buyer, notice, 'rfw', hasButton('pnet:refund:USD:TRC20'));
    expect(networks.text).toBe('↩️ You are owed 15.00 USD back. On which network should it be sent?');
    await press(buyer, networks, 'pnet:refund:USD:BEP20', textMatches(/BEP20 wallet address/));
    await say(buyer, 'my wallet', textMatches(/not a BEP20 address/));
    const requested = await say(buyer, BSC, textMatches(/Your refund .* on its way/));
    const payoutId = payoutIdIn(requested);
    expect(requested.text).toContain(`Your refund ${payoutId} of 15.00 USD to ${BSC} (BEP20)`);
    expect(await payoutRow(payoutId)).toMatchObject({ source: 'refund', amountMinor: 1500n, network: 'BEP20' });
    expect(await owedOn(db(), accounts.userRefund(buyerId), 'USD')).toBe(0n);
    expect(await owedOn(db(), accounts.userRefundReserved(buyerId), 'USD')).toBe(1500n);
    // Nothing more to ask for.
    await say(buyer, '/refund_wallet', textMatches(/no refund owed to you/));
    await eventually(
      'found by PayeeKind',
      async () => (await payoutsShowing('requested', 'refund', payoutId)).length === 1,
    );

    const adminMessage = await adminMessageOf(ADMIN.id, payoutId);
    expect(adminMessage.text).toBe(
      `↩️ Refund payout request ${payoutId}: 15.00 USD owed back to buyer ${buyerId}, to ${BSC} (BEP20).`,
    );
    const list = await say(ADMIN, '/payouts', textMatches(/Payout requests waiting/));
    expect(list.text).toContain(`${payoutId} · refund ${buyerId} · 15.00 USD · BEP20 ${BSC}`);
    await say(ADMIN, `/paid ${payoutId} ${'ab'.repeat(32)}`, textMatches(/not a transaction hash/));
    const txHash = `0x${'12'.repeat(32)}`;
    await say(ADMIN, `/paid ${payoutId} ${txHash}`, textMatches(/marked as paid/));
    await tg().waitForMessage(
      buyerId,
      textMatches(new RegExp(`Your refund ${payoutId}: 15.00 USD was sent .* Transaction: ${txHash}`)),
    );
    expect(await payoutRow(payoutId)).toMatchObject({ status: 'paid', txHash });
    expect(await owedOn(db(), accounts.userRefundReserved(buyerId), 'USD')).toBe(0n);
    const legs = await db()
      .select()
      .from(ledgerEntries)
      .where(eq(ledgerEntries.transactionKey, `payout:${payoutId}:paid`));
    expect(Object.fromEntries(legs.map((e) => [e.account, e.amountMinor]))).toEqual({
      [accounts.userRefundReserved(buyerId)]: 1500n,
      [accounts.payoutsSent()]: -1500n,
    });
    await settled([`payout:${payoutId}`, `escrow:${orderId}`]);
    await assertLedgerInvariant(db());
  });
});

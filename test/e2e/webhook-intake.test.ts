/**
 * `POST /cryptocloud_webhook` over real HTTP: only a correctly signed, fresh postback for a known
 * order reaches its workflow; everything else is refused with a reason, audited, and changes nothing.
 */
import { eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoices, webhookEvents } from '../../infrastructure/db/schema';
import { ownLoopbackAddress, postFrom } from '../post-from';
import { eventually, startStack, TEST_SECRETS, type Stack } from '../harness';

let stack: Stack;
let invoiceId: string;
let providerUuid: string;

beforeAll(async () => {
  stack = await startStack();
  const { planId } = await stack.createPlan();
  const userId = stack.newUserId();
  await stack.addUser(userId);
  ({ invoiceId } = await stack.runtime.commands.openInvoice({ userId, planId }));
  const invoice = await eventually('the gateway invoice', () => stack.sandbox.cryptocloud.invoice(invoiceId));
  providerUuid = invoice.uuid;
});
afterAll(async () => {
  await stack?.stop();
});

const sign = (secret: string, exp = Math.floor(Date.now() / 1000) + 300) =>
  new SignJWT({ id: providerUuid.replace(/^INV-/, '') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));

function postback(token: string, orderId = invoiceId) {
  return {
    status: 'success',
    invoice_id: providerUuid.replace(/^INV-/, ''),
    amount_crypto: '10.00',
    currency: 'USDT_TRC20',
    order_id: orderId,
    token,
    invoice_info: {
      uuid: providerUuid,
      status: 'paid',
      order_id: orderId,
      amount: '10.00',
      received: '10.00',
      received_usd: '10.00',
    },
  };
}

/** This file's own loopback address: its audit rows are told from those of files running alongside. */
const from = ownLoopbackAddress();

async function send(body: string, contentType = 'application/json') {
  const answer = await postFrom(`${stack.apiUrl}/cryptocloud_webhook`, from, body, contentType);
  let parsed: { ok?: boolean; error?: string } = {};
  try {
    parsed = JSON.parse(answer.text) as typeof parsed;
  } catch {
    // not JSON: the assertions on the body say so
  }
  return { status: answer.status, body: parsed };
}

async function auditRows() {
  return stack.runtime.db
    .select()
    .from(webhookEvents)
    .where(eq(webhookEvents.remoteAddress, from))
    .orderBy(webhookEvents.id);
}

async function expectRefused(body: string, status: number, reason: RegExp, contentType?: string) {
  const before = (await auditRows()).length;
  const answer = await send(body, contentType);
  expect(answer.status).toBe(status);
  expect(answer.body.error).toMatch(reason);
  const rows = await auditRows();
  expect(rows.length).toBe(before + 1);
  expect(rows.at(-1)?.provider).toBe('cryptocloud');
  expect(rows.at(-1)?.outcome).not.toBe('accepted');
  const [invoice] = await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId));
  expect(invoice?.status).toBe('pending');
  expect(invoice?.amountReceived).toBe('0');
  return rows.at(-1)!;
}

describe('CryptoCloud postback intake', () => {
  it('refuses a token signed with another secret', async () => {
    const row = await expectRefused(
      JSON.stringify(postback(await sign('someone-elses-secret'))),
      401,
      /signature invalid/,
    );
    expect(row.verified).toBe(false);
  });

  it('refuses alg: none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const claims = Buffer.from(JSON.stringify({ id: 'x', exp: Math.floor(Date.now() / 1000) + 300 })).toString(
      'base64url',
    );
    await expectRefused(JSON.stringify(postback(`${header}.${claims}.`)), 401, /algorithm not allowed|malformed/);
  });

  it('refuses an expired token', async () => {
    await expectRefused(
      JSON.stringify(postback(await sign(TEST_SECRETS.CRYPTOCLOUD_SECRET_KEY, Math.floor(Date.now() / 1000) - 60))),
      401,
      /expired/,
    );
  });

  it('refuses a garbage body and a body without the fields', async () => {
    await expectRefused('{not json', 400, /JSON/i);
    await expectRefused(JSON.stringify([1, 2, 3]), 400, /object/);
    await expectRefused(JSON.stringify({ order_id: invoiceId }), 400, /token is missing/);
  });

  it('refuses an oversized body', async () => {
    const huge = JSON.stringify({ ...postback('x'), padding: 'x'.repeat(200_000) });
    await expectRefused(huge, 413, /too large/i);
  });

  it('refuses a correctly signed postback for an unknown order', async () => {
    const row = await expectRefused(
      JSON.stringify(postback(await sign(TEST_SECRETS.CRYPTOCLOUD_SECRET_KEY), '999-nosuchplan-1')),
      404,
      /unknown order/,
    );
    expect(row).toMatchObject({ verified: true, outcome: 'unknown_order' });
  });

  it('accepts a signed form-encoded postback and the invoice settles', async () => {
    stack.sandbox.cryptocloud.dropPostbacks(1); // the gateway's own postback is lost; we send ours
    await stack.sandbox.cryptocloud.pay(invoiceId);
    const fields = postback(await sign(TEST_SECRETS.CRYPTOCLOUD_SECRET_KEY));
    const form = new URLSearchParams({ ...fields, invoice_info: JSON.stringify(fields.invoice_info) } as Record<
      string,
      string
    >);
    const answer = await send(form.toString(), 'application/x-www-form-urlencoded');
    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect((await auditRows()).at(-1)).toMatchObject({ verified: true, outcome: 'accepted', orderId: invoiceId });
    await eventually(
      'the invoice to settle',
      async () =>
        (await stack.runtime.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0]?.status === 'paid',
    );
  });
});

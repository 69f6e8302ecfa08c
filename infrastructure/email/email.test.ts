/**
 * Email over a real SMTP server (Mailpit, started by the global setup, read back through its HTTP API)
 * and over Mailjet's Send API (the sandbox's emulator); once-only sends through `email_outbox` on the
 * real PostgreSQL. Every test writes to its own recipient, since other files share Mailpit and the database.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { inbox, mailpitMessage } from '../../test/mailpit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmailActivities } from '../../activities/email';
import type { ActivityDeps } from '../../activities/deps';
import { eventually } from '../../test/eventually';
import { loadConfig } from '../config';
import { createDatabase } from '../db/client';
import { emailOutbox } from '../db/schema';
import { createLogger } from '../logger';
import { startSandbox, type Sandbox } from '../sandbox/server';
import {
  createEmailSender,
  createMailjetSender,
  createSmtpSender,
  EmailError,
  sendEmailOnce,
  type EmailMessage,
  type EmailSender,
} from '.';

const smtp = inject('smtp');
let database: ReturnType<typeof createDatabase>;
let sandbox: Sandbox;
let smtpSender: ReturnType<typeof createSmtpSender>;
const db = () => database.db;

beforeAll(async () => {
  database = createDatabase(inject('databaseUrl'), { max: 2 });
  sandbox = await startSandbox({ cryptocloud: { apiKey: 'k', secretKey: 's', shopId: 'shop' } });
  smtpSender = createSmtpSender({ url: `smtp://${smtp.host}:${smtp.port}`, from: 'Магазин <shop@example.com>' });
});
afterAll(async () => {
  smtpSender?.close();
  await sandbox?.close();
  await database?.close();
});

function message(overrides: Partial<EmailMessage> = {}): EmailMessage {
  const id = randomUUID();
  return {
    to: `seller-${id.slice(0, 8)}@example.com`,
    subject: 'Новый заказ №42 — оплачен',
    text: 'Покупатель оплатил заказ. Plain part.',
    html: '<p>Покупатель <b>оплатил</b> заказ.</p>',
    idempotencyKey: `test:${id}`,
    ...overrides,
  };
}

const outboxRow = async (key: string) => (await db().select().from(emailOutbox).where(eq(emailOutbox.key, key)))[0];

describe('SMTP adapter (Mailpit)', () => {
  it('delivers subject, sender, recipient, text and HTML, Cyrillic intact', async () => {
    const sent = message();
    const { id } = await smtpSender.send(sent);
    const [summary] = await eventually('the message in Mailpit', async () => {
      const found = await inbox(sent.to);
      return found.length > 0 && found;
    });
    const stored = await mailpitMessage(summary!.ID);
    expect(stored.Subject).toBe('Новый заказ №42 — оплачен');
    expect(stored.From).toEqual({ Name: 'Магазин', Address: 'shop@example.com' });
    expect(stored.To.map((to) => to.Address)).toEqual([sent.to]);
    expect(stored.Text.trim()).toBe(sent.text);
    expect(stored.HTML).toContain('<p>Покупатель <b>оплатил</b> заказ.</p>');
    // The id we keep is the Message-ID the server stored.
    expect(`<${stored.MessageID}>`).toBe(id);
  });

  it('names the server (never credentials) when it cannot be reached', async () => {
    const nowhere = createSmtpSender({ url: 'smtp://user:hunter2@127.0.0.1:1', from: 'shop@example.com' });
    const failure = await nowhere.send(message()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EmailError);
    expect((failure as EmailError).message).toMatch(/^SMTP server smtp:\/\/127\.0\.0\.1:1 did not accept the email/);
    expect((failure as EmailError).message).not.toContain('hunter2');
    expect((failure as EmailError).permanent).toBe(false);
    nowhere.close();
  });
});

describe('sendEmailOnce', () => {
  it('sends one key once: the second call finds it sent and Mailpit holds one message', async () => {
    const sent = message();
    const first = await sendEmailOnce(db(), smtpSender, sent);
    expect(first).toMatchObject({ sent: true });
    const second = await sendEmailOnce(db(), smtpSender, { ...sent, subject: 'changed on retry' });
    expect(second).toEqual({ sent: false, reason: 'already-sent', id: first.sent ? first.id : null });
    await eventually('the message in Mailpit', async () => (await inbox(sent.to)).length > 0);
    expect(await inbox(sent.to)).toHaveLength(1);
    expect(await outboxRow(sent.idempotencyKey)).toMatchObject({
      status: 'sent',
      to: sent.to,
      subject: sent.subject,
      providerId: first.sent ? first.id : '',
      attempts: 2,
      error: null,
    });
  });

  it('after a temporary failure the row stays sending with the error; the retry sends it once', async () => {
    const sent = message();
    let calls = 0;
    const flaky: EmailSender = {
      send: async (m) => {
        calls += 1;
        if (calls === 1) throw new EmailError('SMTP server smtp://x did not accept the email: ECONNRESET', false);
        return smtpSender.send(m);
      },
    };
    await expect(sendEmailOnce(db(), flaky, sent)).rejects.toThrow(/ECONNRESET/);
    const pending = await outboxRow(sent.idempotencyKey);
    expect(pending?.status).toBe('sending');
    expect(pending?.error).toMatch(/ECONNRESET/);
    expect(await sendEmailOnce(db(), flaky, sent)).toMatchObject({ sent: true });
    expect(await sendEmailOnce(db(), flaky, sent)).toMatchObject({ sent: false, reason: 'already-sent' });
    expect(calls).toBe(2);
    await eventually('the message in Mailpit', async () => (await inbox(sent.to)).length > 0);
    expect(await inbox(sent.to)).toHaveLength(1);
    expect(await outboxRow(sent.idempotencyKey)).toMatchObject({ status: 'sent', error: null });
  });
});

describe('Mailjet adapter (sandbox emulator)', () => {
  const mailjet = () =>
    createMailjetSender({
      apiUrl: sandbox.url,
      apiKey: sandbox.mailjet.apiKey,
      secretKey: sandbox.mailjet.secretKey,
      from: 'Магазин <shop@example.com>',
    });

  it('posts the message to /v3.1/send; the emulator records the same content', async () => {
    const sent = message();
    const result = await sendEmailOnce(db(), mailjet(), sent);
    expect(result).toMatchObject({ sent: true });
    const recorded = sandbox.mailjet.messages().filter((m) => m.to[0]?.Email === sent.to);
    expect(recorded).toEqual([
      expect.objectContaining({
        from: { Email: 'shop@example.com', Name: 'Магазин' },
        to: [{ Email: sent.to }],
        subject: 'Новый заказ №42 — оплачен',
        textPart: sent.text,
        htmlPart: sent.html,
        customId: sent.idempotencyKey,
      }),
    ]);
    expect(result.sent && result.id).toBe(recorded[0]!.messageUuid);
    // Once only here too.
    expect(await sendEmailOnce(db(), mailjet(), sent)).toMatchObject({ sent: false, reason: 'already-sent' });
    expect(sandbox.mailjet.messages().filter((m) => m.to[0]?.Email === sent.to)).toHaveLength(1);
    const control = (await (await fetch(`${sandbox.url}/_sandbox/mailjet/messages`)).json()) as {
      messages: Array<{ customId?: string }>;
    };
    expect(control.messages.map((m) => m.customId)).toContain(sent.idempotencyKey);
  });

  it('wrong credentials: a clear error, the outbox row failed, nothing recorded', async () => {
    const sent = message();
    const wrong = createMailjetSender({
      apiUrl: sandbox.url,
      apiKey: 'nope',
      secretKey: 'nope',
      from: 'shop@example.com',
    });
    const failure = await sendEmailOnce(db(), wrong, sent).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EmailError);
    expect((failure as EmailError).permanent).toBe(true);
    expect((failure as EmailError).message).toBe(
      'Mailjet refused the credentials (HTTP 401): check MAILJET_API_KEY and MAILJET_API_SECRET',
    );
    const row = await outboxRow(sent.idempotencyKey);
    expect(row?.status).toBe('failed');
    expect(row?.error).toMatch(/refused the credentials/);
    expect(sandbox.mailjet.messages().filter((m) => m.to[0]?.Email === sent.to)).toEqual([]);
  });

  it('an invalid address: the emulator answers 400 with Mailjet-like errors, the adapter names them', async () => {
    const failure = await mailjet()
      .send(message({ to: 'not-an-address' }))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EmailError);
    expect((failure as EmailError).message).toBe(
      'Mailjet did not send the email (HTTP 400): mj-0013 "not-an-address" is an invalid email address. (To[0].Email)',
    );
    expect((failure as EmailError).permanent).toBe(true);
    const raw = await fetch(`${sandbox.url}/v3.1/send`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${sandbox.mailjet.apiKey}:${sandbox.mailjet.secretKey}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ Messages: [{ From: { Email: 'shop@example.com' }, To: [{ Email: 'a@example.com' }] }] }),
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as {
      Messages: Array<{ Status: string; Errors: Array<{ ErrorRelatedTo: string[] }> }>;
    };
    expect(body.Messages[0]!.Status).toBe('error');
    expect(body.Messages[0]!.Errors.map((e) => e.ErrorRelatedTo[0])).toEqual([
      'Subject',
      'TextPart,HTMLPart,TemplateID',
    ]);
  });
});

describe('configured sender and the sendEmail activity', () => {
  const base = {
    DATABASE_URL: 'postgres://x@127.0.0.1/x',
    PAYMENT_RAILS: 'stars',
    TELEGRAM_BOT_TOKEN: '1:ABCDEFGHIJKL',
    TELEGRAM_WEBHOOK_SECRET: 's',
  };

  it('EMAIL_TRANSPORT picks the adapter: smtp delivers to Mailpit, mailjet to the emulator, off none', async () => {
    const viaSmtp = createEmailSender(
      loadConfig({ ...base, SMTP_URL: `smtp://${smtp.host}:${smtp.port}`, EMAIL_FROM: 'shop@example.com' }).email,
    )!;
    const sent = message();
    await viaSmtp.send(sent);
    await eventually('the message in Mailpit', async () => (await inbox(sent.to)).length === 1);
    const viaMailjet = createEmailSender(
      loadConfig({
        ...base,
        EMAIL_TRANSPORT: 'mailjet',
        EMAIL_FROM: 'Shop <shop@example.com>',
        MAILJET_API_URL: sandbox.url,
        MAILJET_API_KEY: sandbox.mailjet.apiKey,
        MAILJET_API_SECRET: sandbox.mailjet.secretKey,
      }).email,
    )!;
    const other = message();
    await viaMailjet.send(other);
    expect(sandbox.mailjet.messages().some((m) => m.to[0]?.Email === other.to)).toBe(true);
    expect(createEmailSender(loadConfig({ ...base, EMAIL_TRANSPORT: 'off' }).email)).toBeUndefined();
  });

  it('sendEmail: once per key; a refusal for good fails without retries; off sends nothing', async () => {
    const deps = (email?: EmailSender) =>
      ({ db: db(), email, logger: createLogger('silent') }) as unknown as ActivityDeps;
    const { sendEmail } = createEmailActivities(deps(smtpSender));
    const sent = message();
    expect(await sendEmail(sent)).toMatchObject({ sent: true });
    expect(await sendEmail(sent)).toMatchObject({ sent: false, reason: 'already-sent' });
    await eventually('the message in Mailpit', async () => (await inbox(sent.to)).length > 0);
    expect(await inbox(sent.to)).toHaveLength(1);

    const wrong = createMailjetSender({
      apiUrl: sandbox.url,
      apiKey: 'nope',
      secretKey: 'nope',
      from: 'shop@example.com',
    });
    const failure = await createEmailActivities(deps(wrong))
      .sendEmail(message())
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      nonRetryable: true,
      type: 'EmailRefused',
    });
    expect((failure as Error).message).toMatch(/credentials/);

    const off = message();
    expect(await createEmailActivities(deps()).sendEmail(off)).toEqual({ sent: false, reason: 'off' });
    expect(await outboxRow(off.idempotencyKey)).toBeUndefined();
  });
});

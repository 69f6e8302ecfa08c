/** What the test SMTP server (Mailpit, started by the global setup) received, through its HTTP API. */
import { inject } from 'vitest';

export interface MailpitSummary {
  ID: string;
  To: Array<{ Address: string }>;
  Subject: string;
}

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${inject('smtp').apiUrl}${path}`);
  if (response.status !== 200) throw new Error(`Mailpit ${path}: ${response.status}`);
  return (await response.json()) as T;
}

/** Mailpit's messages to `address` (newest first). */
export async function inbox(address: string): Promise<MailpitSummary[]> {
  const { messages } = await get<{ messages: MailpitSummary[] }>('/api/v1/messages?limit=500');
  return messages.filter((m) => m.To.some((to) => to.Address === address));
}

export const mailpitMessage = (id: string) =>
  get<{
    Subject: string;
    From: { Name: string; Address: string };
    To: Array<{ Address: string }>;
    Text: string;
    HTML: string;
    MessageID: string;
  }>(`/api/v1/message/${id}`);

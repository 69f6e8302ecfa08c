/**
 * Long-lived workflows stay small: hundreds of signals into one subscription roll it over (continue
 * as new when the server suggests it; the test server suggests it after 300 events, see
 * test/global-setup.ts) without losing any signal or any state. Real Temporal dev server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startStack, type Stack } from '../harness';

const SIGNALS = 250;
/** The server suggests continuing as new at 300 events; a run hands over once its queue is empty. */
const MAX_EVENTS_PER_RUN = 600;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('a subscription under a flood of signals', () => {
  it(`${SIGNALS} join requests: every one answered, each run's history bounded, the period carried across runs`, async () => {
    const userId = stack.newUserId();
    await stack.addUser(userId);
    const { planId } = await stack.createPlan({ durationSeconds: 3600 });
    await stack.runtime.commands.grant(userId, planId, 30, 4242);
    const granted = await eventually('the grant applied', async () => {
      const s = await stack.runtime.commands.subscriptionState(userId, planId);
      return s?.status === 'active' && s;
    });
    // Join requests for chats outside the plan: each is answered (declined), so each leaves a trace.
    const chatIds = Array.from({ length: SIGNALS }, (_, i) => -(2_000_000_000_000 + userId * 1000 + i));
    for (const [i, id] of chatIds.entries()) stack.sandbox.telegram.addChannel({ id, title: `Other channel ${i}` });
    for (let i = 0; i < SIGNALS; i += 50)
      await Promise.all(
        chatIds.slice(i, i + 50).map((chatId) => stack.runtime.commands.joinRequested(userId, planId, chatId)),
      );
    const answered = () =>
      new Set(
        stack.sandbox.telegram
          .calls('declineChatJoinRequest')
          .filter((c) => c.params.user_id === userId)
          .map((c) => c.params.chat_id as number),
      );
    await eventually('every join request answered', () => answered().size === SIGNALS, 120_000);
    expect([...answered()].sort()).toEqual([...chatIds].sort());
    // Answered once each: no signal was handled twice across a hand-over.
    expect(
      stack.sandbox.telegram.calls('declineChatJoinRequest').filter((c) => c.params.user_id === userId),
    ).toHaveLength(SIGNALS);

    const workflowId = `subscription:${userId}:${planId}`;
    const runs: Array<{ runId: string; status: string }> = [];
    for await (const run of stack.runtime.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      runs.push({ runId: run.runId, status: run.status.name });
    expect(runs.filter((r) => r.status === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(3);
    expect(runs.filter((r) => r.status === 'RUNNING')).toHaveLength(1);
    for (const run of runs) {
      const history = await stack.runtime.temporal.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
      expect(history.events?.length ?? 0, `run ${run.runId}`).toBeLessThan(MAX_EVENTS_PER_RUN);
    }
    // All state carried: the same period, still active; a signal after the flood still works.
    expect(await stack.runtime.commands.subscriptionState(userId, planId)).toMatchObject({
      status: 'active',
      expiresAt: granted.expiresAt,
    });
    await stack.runtime.commands.grant(userId, planId, 1, 4242);
    await eventually(
      'a grant after the flood',
      async () =>
        (await stack.runtime.commands.subscriptionState(userId, planId))?.expiresAt === granted.expiresAt! + 86_400_000,
    );
  }, 180_000);

  it('applies a keyed grant once however often it arrives (a retried resolution activity)', async () => {
    const userId = stack.newUserId();
    await stack.addUser(userId);
    const { planId } = await stack.createPlan({ durationSeconds: 3600 });
    const expiry = async () => (await stack.runtime.commands.subscriptionState(userId, planId))?.expiresAt;
    await stack.runtime.commands.grant(userId, planId, 2, 4242, 'resolution:test:1');
    const first = await eventually('the keyed grant applied', expiry);
    await stack.runtime.commands.grant(userId, planId, 2, 4242, 'resolution:test:1');
    await stack.runtime.commands.grant(userId, planId, 1, 4242); // unkeyed: an admin's own grant, always applied
    await eventually('the unkeyed grant applied', async () => (await expiry()) === first + 86_400_000);
    await stack.runtime.commands.grant(userId, planId, 2, 4242, 'resolution:test:1');
    await stack.runtime.commands.grant(userId, planId, 3, 4242, 'resolution:test:2');
    await eventually('only the new key applied', async () => (await expiry()) === first + 4 * 86_400_000);
  });
});

/**
 * For tests that assert something did NOT happen (no second activation, no further retry): instead
 * of sleeping a fixed time and hoping, wait until the workflows that could still cause it have
 * nothing in flight. A workflow is settled when it is closed, or running with no pending activity,
 * child workflow or workflow task, and its history has not grown between two looks.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eventually } from './eventually';

async function snapshot(client: Client, workflowId: string): Promise<string | undefined> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'absent';
    throw error;
  }
  if (description.status.name !== 'RUNNING') return `closed:${description.historyLength}`;
  const raw = description.raw;
  const busy =
    (raw.pendingActivities?.length ?? 0) > 0 ||
    (raw.pendingChildren?.length ?? 0) > 0 ||
    (raw.pendingWorkflowTask !== null && raw.pendingWorkflowTask !== undefined);
  return busy ? undefined : `idle:${description.historyLength}`;
}

export async function workflowsSettled(client: Client, workflowIds: string[], timeoutMs = 30_000): Promise<void> {
  let previous: string | undefined;
  await eventually(
    `workflows ${workflowIds.join(', ')} to settle`,
    async () => {
      const states = await Promise.all(workflowIds.map((id) => snapshot(client, id)));
      const now = states.includes(undefined) ? undefined : states.join('|');
      const stable = now !== undefined && now === previous;
      previous = now;
      // Two looks in a row with nothing in flight and no new history event.
      if (stable) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return false;
    },
    timeoutMs,
  );
}

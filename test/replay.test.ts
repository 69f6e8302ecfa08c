/**
 * Determinism guard: histories recorded from real runs (test/histories, see test/harness.ts) are
 * replayed against the current workflow code. A change that breaks running workflows fails here;
 * such changes go behind `patched()`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../infrastructure/temporal/worker';
import * as workflows from '../workflows';
import { RAILS } from '../domain/rail';

const folder = new URL('./histories/', import.meta.url);
const files = readdirSync(folder).filter((name) => name.endsWith('.bin'));

describe('workflow replay', () => {
  it('has recorded histories of every kind of workflow', () => {
    const kinds = Object.keys(workflows);
    expect(kinds.length).toBeGreaterThan(0);
    for (const kind of kinds)
      expect(
        files.some((name) => name.startsWith(`${kind}-`)),
        kind,
      ).toBe(true);
  });

  it('has invoice histories of every payment rail', () => {
    const railsRecorded = new Set<string>();
    for (const name of files.filter((file) => file.startsWith('invoiceWorkflow-'))) {
      const history = proto.temporal.api.history.v1.History.decode(readFileSync(new URL(name, folder)));
      const started = history.events[0]?.workflowExecutionStartedEventAttributes;
      const data = started?.input?.payloads?.[0]?.data;
      if (!data) continue;
      const input = JSON.parse(Buffer.from(data).toString('utf8')) as { provider?: string };
      if (input.provider) railsRecorded.add(input.provider);
    }
    expect([...railsRecorded].sort()).toEqual([...RAILS].sort());
  });

  it('replays every recorded history without nondeterminism', async () => {
    const histories = files.map((name) => ({
      workflowId: name,
      history: proto.temporal.api.history.v1.History.decode(readFileSync(new URL(name, folder))),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath, replayName: 'recorded' }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

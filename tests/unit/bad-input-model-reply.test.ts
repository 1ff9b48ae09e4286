import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { starterFiles } from '../../src/cli/init-files.js';
import { createAnthropicModel } from '../../src/models/anthropic.js';
import { MAX_INPUT_DEPTH, ModelError, nestedTooDeep, runTurn, type ModelClient, type ModelReply, type ModelTurnRequest } from '../../src/models/model-client.js';
import type { AssistantMessage } from '../../src/protocol/index.js';
import { prepareRun } from '../../src/runs/prepare-run.js';
import { UsageError } from '../../src/runs/load-inputs.js';
import { call, reply, startEngine, tempDir, ticket } from '../support/engine-harness.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';

/** {a: {a: ... 1}} with `levels` objects, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let level = 1; level < levels; level += 1) value = { a: value };
  return value;
}

/** A model that answers every turn with this message, streaming nothing. */
function replying(message: AssistantMessage): ModelClient {
  return {
    label: 'fixed reply',
    // eslint-disable-next-line require-yield
    async *turn(): AsyncGenerator<never, ModelReply, void> {
      return { message, stop_reason: 'tool_use', usage: { input_tokens: 1, output_tokens: 1 } };
    },
  };
}

const request: ModelTurnRequest = { ticketId: 'T1', attempt: 1, profile: 'p', system: 's', messages: [{ role: 'user', content: 'Ticket T1: go' }], tools: [] };

describe('a model reply whose tool_use input nests too deeply', () => {
  it('measures depth without recursion, the input itself being level 1', () => {
    expect(nestedTooDeep(nested(MAX_INPUT_DEPTH))).toBeUndefined();
    expect(nestedTooDeep(nested(MAX_INPUT_DEPTH + 1))).toEqual(Array(MAX_INPUT_DEPTH).fill('a'));
    expect(nestedTooDeep({ list: [[{ ok: true }]] }, 3)).toEqual(['list', 0, 0]);
    expect(nestedTooDeep(nested(20_000))).toHaveLength(MAX_INPUT_DEPTH);
  });

  it('is refused at the boundary with a reason, not passed on to overflow the stack later', async () => {
    const deep = replying(reply(call('toolu_deep', 'read_file', { path: 'x', deep: nested(20_000) })));
    const error = await runTurn(deep, request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ retryable: false, kind: 'invalid_request' });
    expect((error as Error).message).toMatch(/^the model's read_file call toolu_deep has an input nested deeper than 64 levels \(at input\.deep(\.a){63}\)/);
    // Exactly at the limit, the reply goes through.
    const fits = await runTurn(replying(reply(call('toolu_ok', 'read_file', { path: 'x', deep: nested(MAX_INPUT_DEPTH - 1) }))), request);
    expect(fits.message.content[0]).toMatchObject({ id: 'toolu_ok' });
  });

  it('a client that overflows on such a reply itself gives a clear, non-retryable error', async () => {
    const overflowing: ModelClient = {
      label: 'overflowing',
      // eslint-disable-next-line require-yield
      async *turn(): AsyncGenerator<never, ModelReply, void> {
        throw new RangeError('Maximum call stack size exceeded');
      },
    };
    await expect(runTurn(overflowing, request)).rejects.toMatchObject({
      name: 'ModelError',
      retryable: false,
      message: expect.stringMatching(/^the model's reply could not be read: it nests too deeply/),
    });
  });

  it('blocks the ticket with that reason, and the engine goes on', async () => {
    const harness = startEngine({
      tickets: [ticket('T1')],
      script: {},
      trustOverride: 'auto',
      model: replying(reply(call('toolu_deep', 'read_file', { path: 'x', deep: nested(20_000) }))),
    });
    try {
      const done = await waitFor(harness.engine.conductor, (state) => state.matches({ run: 'stalled' }) || state.matches({ run: 'done' }));
      expect(done.matches({ run: 'stalled' })).toBe(true);
      const [blocked] = harness.engine.track().tickets;
      expect(blocked).toMatchObject({ status: 'blocked' });
      expect(blocked!.blocked_reason).toMatch(/read_file call toolu_deep has an input nested deeper than 64 levels/);
      // The reply never reached the transcript, so the state still serializes.
      expect(() => JSON.stringify(harness.engine.conductor.getPersistedSnapshot())).not.toThrow();
    } finally {
      await harness.cleanup();
    }
  });

  it('through the Anthropic client too', async () => {
    // 1,000 levels: deep enough to refuse, shallow enough for the fake server's JSON.stringify.
    const fake = await startFakeAnthropic({
      apiKey: 'sk-ant-test-key-0000',
      responder: () => reply(call('toolu_deep', 'read_file', { path: 'x', deep: nested(1_000) })),
    });
    try {
      const client = createAnthropicModel({ apiKey: 'sk-ant-test-key-0000', model: 'claude-test', profile: 'sonnet', baseURL: fake.url });
      await expect(runTurn(client, request)).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/toolu_deep has an input nested deeper than 64 levels/) });
    } finally {
      await fake.close();
    }
  });
});

describe('a workspace that changes between the check and the copy', () => {
  const root = tempDir('clutch-copy-race-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a FIFO made since the check is refused with its path, and the half-made run folder goes', async () => {
    for (const [file, content] of starterFiles) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), content);
    }
    const error = await prepareRun({
      cwd: root,
      track: 'track.toml',
      trust: 'auto',
      // Runs after every check and before the copy: the moment a FIFO could appear.
      check: () => execFileSync('mkfifo', [join(root, 'workspace', 'late-pipe')]),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/^workspace \S+workspace cannot be copied into a run: .*late-pipe.*; nothing was run$/);
    const runs = join(root, '.clutch', 'runs');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });
});

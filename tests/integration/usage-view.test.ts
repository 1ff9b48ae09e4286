import { afterEach, describe, expect, it } from 'vitest';
import { conductorView } from '../../src/server/views.js';
import { call, done, reply, startEngine, testConfig, ticket, type Harness } from '../support/engine-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

describe('usage in the conductor view', () => {
  it('carries tokens and the cost estimate per ticket, per tier and in total', async () => {
    harness = startEngine({
      tickets: [ticket('T1'), ticket('T2')],
      script: {
        T1: [reply(call('a', 'write_file', { path: 'a.txt', content: 'a' })), done('b')],
        T2: [done('c')],
      },
      config: testConfig({ trust: 'auto' }),
    });
    await harness.engine.finished();
    const usage = conductorView(harness.engine).context.usage!;
    expect(usage.tickets['T1']).toMatchObject({ tier: 3, cost_usd: 0 });
    expect(usage.tickets['T1']!.output_tokens).toBeGreaterThan(usage.tickets['T2']!.output_tokens);
    expect(usage.tiers['3']!.input_tokens).toBe(usage.tickets['T1']!.input_tokens + usage.tickets['T2']!.input_tokens);
    expect(usage.total).toEqual({ ...usage.tiers['3'] });
  });
});

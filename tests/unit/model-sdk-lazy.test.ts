import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A resolve hook that tells the main thread every module URL it resolves; `clutch:flush` answers
 * once every earlier URL has been told (a port keeps its messages in order).
 */
const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  if (specifier === 'clutch:flush') { port.postMessage(null); return { url: 'data:text/javascript,', shortCircuit: true }; }
  const resolved = await next(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}`;

/** Runs `body` in a fresh process (under tsx, from the project's root) and says which model SDKs it loaded. */
function sdksLoadedBy(body: string): string[] {
  const script = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const urls = [];
    let flushed;
    port1.on('message', (url) => (url === null ? flushed() : urls.push(url)));
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] });
    ${body}
    await new Promise((resolve) => { flushed = resolve; import('clutch:flush'); });
    port1.close();
    console.log(JSON.stringify(['@anthropic-ai/sdk', 'openai'].filter((name) => urls.some((url) => url.includes('/node_modules/' + name + '/')))));`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as string[];
}

describe('the model SDKs load with the first turn that needs them', () => {
  it('the CLI with every provider loads neither; a profile loads its own SDK on its first turn', () => {
    expect(sdksLoadedBy(`await import('./src/cli.ts'); await import('./src/actors/models.ts'); await import('./src/models/probe.ts');`)).toEqual([]);
    const made = `
      const { createAnthropicModel, anthropicSdk } = await import('./src/models/anthropic.ts');
      const { createOpenAIModel } = await import('./src/models/openai.ts');
      createAnthropicModel({ apiKey: 'k', model: 'm', profile: 'p' });
      createOpenAIModel({ baseURL: 'http://127.0.0.1:9/v1', model: 'm', profile: 'q' });`;
    // Clients made, no turn yet: neither loaded.
    expect(sdksLoadedBy(made)).toEqual([]);
    expect(sdksLoadedBy(`${made} await anthropicSdk();`)).toEqual(['@anthropic-ai/sdk']);
  }, 60_000);
});

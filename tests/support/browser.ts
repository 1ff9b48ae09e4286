import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ensureUiBuilt } from '../../src/server/build-ui.js';
import { storeRuns } from '../../src/server/run-sessions.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { createSession, type Session } from '../../src/server/session.js';
import type { TrustLevel } from '../../src/protocol/index.js';

export const chromiumPath = process.env['CLUTCH_CHROMIUM'] ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

export interface DemoServer extends Session {
  server: RunningServer;
  /** The run's own copy of the demo workspace. */
  workspace: string;
  stop(): Promise<void>;
}

/** The real engine on the demo track, served by the real server, in a throwaway folder. */
export async function startDemoServer(options: { trust?: TrustLevel } = {}): Promise<DemoServer> {
  const staticDir = await ensureUiBuilt();
  const cwd = mkdtempSync(join(tmpdir(), 'clutch-e2e-'));
  const session = await createSession({ cwd, ...(options.trust ? { trust: options.trust } : {}) });
  session.engine.start();
  // Served as `clutch serve` serves it: the Runs tab lists this folder's store.
  const server = await startServer({
    engine: session.engine,
    session: session.session,
    timeline: session.timeline,
    staticDir,
    runs: storeRuns({ cwd, storePath: session.storePath }),
    closeSession: session.close,
  });
  return {
    ...session,
    server,
    workspace: session.session.workspace,
    async stop() {
      await server.close();
      await session.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

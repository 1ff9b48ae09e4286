import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
  /** The run's own copy of the demo workspace (the integration branch, under worktree isolation). */
  workspace: string;
  /** A file as the ticket's tools see it now: in its own worktree, or in the shared workspace. */
  fileOf(ticket: string, path: string): string;
  stop(): Promise<void>;
}

/** The real engine on the demo track (or `track` with `config`), served by the real server, in a throwaway folder. */
export async function startDemoServer(
  options: { trust?: TrustLevel; isolation?: 'shared'; config?: string; track?: string } = {},
): Promise<DemoServer> {
  const staticDir = await ensureUiBuilt();
  const cwd = mkdtempSync(join(tmpdir(), 'clutch-e2e-'));
  let config = options.config;
  if (options.isolation === 'shared') {
    // The repository's agents.toml, with every ticket in the one shared workspace.
    const repo = resolve(import.meta.dirname, '../..');
    const text = readFileSync(join(repo, 'agents.toml'), 'utf8')
      .replace('isolation = "worktree"', 'isolation = "shared"')
      .replace('script = "demo/script.json"', `script = ${JSON.stringify(join(repo, 'demo/script.json'))}`);
    config = join(cwd, 'agents.toml');
    writeFileSync(config, text);
  }
  const session = await createSession({
    cwd,
    ...(config ? { config } : {}),
    ...(options.track ? { track: options.track } : {}),
    ...(options.trust ? { trust: options.trust } : {}),
  });
  session.engine.start();
  // Served as `clutch serve` serves it: the Runs tab lists this folder's store.
  const server = await startServer({
    engine: session.engine,
    session: session.session,
    timeline: session.timeline,
    staticDir,
    // A New request plans for the workspace this run copied, as `clutch serve` offers it.
    runs: storeRuns({ cwd, storePath: session.storePath, ...(session.sourceWorkspace ? { requestWorkspace: session.sourceWorkspace } : {}) }),
    closeSession: session.close,
  });
  return {
    ...session,
    server,
    workspace: session.session.workspace,
    fileOf: (ticket, path) => readFileSync(join(session.engine.options.workspaces?.pathFor(ticket) ?? session.session.workspace, path), 'utf8'),
    async stop() {
      await server.close();
      await session.close();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

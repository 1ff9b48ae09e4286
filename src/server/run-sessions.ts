import { openStore } from '../runs/store-path.js';
import type { RunStore } from '../store/index.js';
import type { RunSessions, ServedRun } from './server.js';
import { createSession, type Session } from './session.js';

export interface StoreRunsOptions {
  /** Relative paths resolve here, as for the first run. */
  cwd: string;
  /** The agents.toml that names the store ([execution] store); the default one unless given. */
  config?: string;
  /** The store to list: the first run's (Session.storePath), so the list and open agree. */
  storePath: string;
  /**
   * Called with each run opened, before its engine starts (to forward its inspection, say);
   * what it returns is undone when the run is let go.
   */
  beforeStart?: (session: Session) => (() => void) | undefined;
  log?: (line: string) => void;
}

/**
 * The runs of one store for startServer: the Runs tab's list, and a stored run opened to serve.
 * Opening resumes the run from its last committed snapshot (a finished one just shows as it
 * ended), with the checks resume makes: an unknown id, a changed track or config, or a run open in
 * another live process is a UsageError that says so, and nothing is started.
 */
export function storeRuns(options: StoreRunsOptions): RunSessions {
  // One connection for the list, opened when first asked: opening one checks the whole file, which
  // is not a cost to pay on every refresh of the tab.
  let reader: RunStore | undefined;
  return {
    list() {
      reader ??= openStore(options.storePath);
      return reader.runs();
    },
    close() {
      reader?.close();
      reader = undefined;
    },
    async open(runId): Promise<ServedRun> {
      const session = await createSession({ cwd: options.cwd, ...(options.config ? { config: options.config } : {}), resume: runId });
      const undo = options.beforeStart?.(session);
      try {
        session.engine.start();
      } catch (error) {
        undo?.();
        await session.close();
        throw error;
      }
      options.log?.(`opened run ${session.session.run_id} (run folder: ${session.runDir})`);
      return {
        engine: session.engine,
        session: session.session,
        timeline: session.timeline,
        async close() {
          undo?.();
          await session.close();
        },
      };
    },
  };
}

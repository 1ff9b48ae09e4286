import { workerMachine } from '../../src/machines/worker.js';
import { generate } from '../../src/testing/paths.js';
import { modelSuite } from '../support/model-suite.js';
import { abstractWorker, PREVIEW_DONE, TOOL_DONE, WORKER_TARGETED, workerEvents, workerStateKey, type WorkerModelContext, type WorkerModelEvent, type WorkerModelSnapshot } from '../../src/testing/worker.js';
import { WorkerDriver } from '../../src/testing/worker-driver.js';

const isFinal = (snapshot: WorkerModelSnapshot) => snapshot.status === 'done';

/** Step mode's happy and abort paths only: few enough events for every simple path to a final state. */
function stepCore(snapshot: WorkerModelSnapshot): WorkerModelEvent[] {
  return workerEvents(snapshot).filter(
    (event) =>
      (event.type === 'model.reply' && event.calls.length === 1 && event.calls[0] !== 'fail') ||
      event.type === 'clutch.approve' ||
      event.type === PREVIEW_DONE ||
      event.type === TOOL_DONE ||
      (event.type === 'clutch.abort' && event.reason === undefined),
  );
}

const generated = generate<WorkerModelContext, WorkerModelEvent>({
  machine: abstractWorker,
  real: workerMachine,
  events: workerEvents,
  serialize: workerStateKey,
  limit: 60_000,
  simple: [{ events: stepCore, toState: isFinal }],
  targeted: WORKER_TARGETED,
  cap: 150,
  shortest: 'edge',
});

modelSuite('worker', generated, (path) => new WorkerDriver(path));

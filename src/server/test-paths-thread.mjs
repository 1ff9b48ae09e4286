// The "Test paths" worker thread's loader: plain JavaScript, so that Node can start it before tsx
// is registered in this thread (each worker thread has its own module loader). It runs the entry
// the server names in workerData (src/testing/test-paths-thread.ts): the server starts that entry,
// it never imports it.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { serveTestPaths } = await import(workerData.entry);
serveTestPaths(parentPort);

import { workerPaths } from '../../src/testing/plans.js';
import { WorkerDriver } from '../../src/testing/worker-driver.js';
import { modelSuite } from '../support/model-suite.js';

modelSuite('worker', workerPaths(), (path) => new WorkerDriver(path));

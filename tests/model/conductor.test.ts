import { ConductorDriver } from '../../src/testing/conductor-driver.js';
import { conductorPaths } from '../../src/testing/plans.js';
import { modelSuite } from '../support/model-suite.js';

modelSuite('conductor', conductorPaths(), (path) => new ConductorDriver(path));

import { plannerPaths } from '../../src/testing/plans.js';
import { PlannerDriver } from '../../src/testing/planner-driver.js';
import { modelSuite } from '../support/model-suite.js';

modelSuite('planner', plannerPaths(), (path) => new PlannerDriver(path));

import { conductorMachine } from '../../src/machines/conductor.js';
import { abstractConductor, conductorEvents, conductorStateKey, type ConductorModelContext, type ConductorModelEvent, type ConductorModelSnapshot } from '../../src/testing/conductor.js';
import { ConductorDriver } from '../../src/testing/conductor-driver.js';
import { generate } from '../../src/testing/paths.js';
import { modelSuite } from '../support/model-suite.js';

/** The two toggles alone, before the run starts: every simple path through mode × trust override. */
const toggles = (snapshot: ConductorModelSnapshot) =>
  conductorEvents(snapshot).filter((event) => event.type === 'conductor.set_mode' || event.type === 'conductor.set_trust_override');

const generated = generate<ConductorModelContext, ConductorModelEvent>({
  machine: abstractConductor,
  real: conductorMachine,
  events: conductorEvents,
  serialize: conductorStateKey,
  limit: 200_000,
  simple: [{ events: toggles, toState: () => true }],
  cap: 120,
  shortest: 'state',
});

modelSuite('conductor', generated, (path) => new ConductorDriver(path));

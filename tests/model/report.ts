/**
 * `npm run test:model` runs this before vitest (`clear`) and after it: it prints, per machine, the
 * states and transitions of the real definition that the executed paths covered, and fails when a
 * machine did not report or left something uncovered.
 */
import { clearFigures, line, readFigures } from '../support/model-report.js';

const MACHINES = ['worker', 'ticket', 'conductor', 'planner'];

if (process.argv[2] === 'clear') {
  clearFigures();
} else {
  let complete = true;
  for (const machine of MACHINES) {
    const figure = readFigures(machine);
    if (!figure) {
      console.log(`${machine}: no coverage was reported (did its model test run?)`);
      complete = false;
      continue;
    }
    console.log(line(figure));
    if (figure.missing.length > 0) {
      console.log(`  not covered: ${figure.missing.join(', ')}`);
      complete = false;
    }
  }
  process.exitCode = complete ? 0 : 1;
}

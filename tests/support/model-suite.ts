/**
 * One vitest suite per machine: every planned path runs on its own real engine through
 * `path.test({ events, states })` (as in xstate's dieHard.test.ts), then the suite checks and
 * reports that the runs covered every state and transition of the real definition.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { EventObject } from 'xstate';
import type { Generated, PlannedPath } from '../../src/testing/paths.js';
import { Coverage, type MachineKind } from '../../src/testing/recorder.js';
import { figures, line, writeFigures } from './model-report.js';
import type { Session } from '../../src/testing/session.js';

export interface Driver {
  readonly session: Session;
  perform(event: EventObject): Promise<void>;
  check(): Promise<void>;
}

export function modelSuite<C, E extends EventObject>(machine: MachineKind, generated: Generated<C, E>, drive: (path: PlannedPath<C, E>) => Driver): void {
  const coverage = new Coverage();

  describe(`${machine} statechart, model-based on the real engine`, () => {
    afterAll(() => {
      const figure = figures(machine, generated.catalog, coverage);
      writeFigures(figure);
      console.log(line(figure));
    });

    it(`the planned paths cover the abstract ${machine} (${generated.paths.length} of ${generated.candidates} generated)`, () => {
      expect(generated.uncovered).toEqual([]);
    });

    it(`every targeted path of the abstract ${machine} takes a transition at each step`, () => {
      expect(generated.invalid).toEqual([]);
    });

    generated.paths.forEach((path, index) => {
      it(`path ${index + 1} (${path.source}): ${path.name}`, async () => {
        const driver = drive(path);
        const types = new Set(path.steps.map((step) => step.event.type));
        const events = Object.fromEntries([...types].map((type) => [type, (step: { event: EventObject }) => driver.perform(step.event)]));
        try {
          await path.test.test({ events: events as never, states: { '*': () => driver.check() } });
        } finally {
          coverage.add(driver.session.recorder.visited[machine]);
          coverage.paths += 1;
          await driver.session.dispose();
        }
      });
    });

    it(`the real ${machine} took every transition and entered every state of its definition`, () => {
      expect(figures(machine, generated.catalog, coverage).missing).toEqual([]);
    });
  });
}

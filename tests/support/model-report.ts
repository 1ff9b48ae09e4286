/**
 * The coverage lines `npm run test:model` prints: each model test file writes its machine's
 * figures here, and tests/model/report.ts prints them once vitest is done.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog } from '../../src/testing/derive.js';
import type { Coverage } from '../../src/testing/recorder.js';

export interface CoverageFigures {
  machine: string;
  states: [number, number];
  transitions: [number, number];
  paths: number;
  missing: string[];
}

export const REPORT_DIR = join(tmpdir(), 'clutch-model-coverage');

export function figures(machine: string, definition: Catalog, coverage: Coverage): CoverageFigures {
  const states = definition.states.filter((state) => coverage.states.has(state));
  const transitions = definition.transitions.filter((transition) => coverage.transitions.has(transition.key));
  return {
    machine,
    states: [states.length, definition.states.length],
    transitions: [transitions.length, definition.transitions.length],
    paths: coverage.paths,
    missing: [
      ...definition.states.filter((state) => !coverage.states.has(state)).map((state) => `state ${state}`),
      ...definition.transitions.filter((transition) => !coverage.transitions.has(transition.key)).map((transition) => transition.key),
    ],
  };
}

export function line(figure: CoverageFigures): string {
  return `${figure.machine}: states covered ${figure.states[0]}/${figure.states[1]}, transitions covered ${figure.transitions[0]}/${figure.transitions[1]}, paths ${figure.paths}`;
}

export function writeFigures(figure: CoverageFigures): void {
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(join(REPORT_DIR, `${figure.machine}.json`), `${JSON.stringify(figure, null, 2)}\n`);
}

export function readFigures(machine: string): CoverageFigures | undefined {
  try {
    return JSON.parse(readFileSync(join(REPORT_DIR, `${machine}.json`), 'utf8')) as CoverageFigures;
  } catch {
    return undefined;
  }
}

export function clearFigures(): void {
  rmSync(REPORT_DIR, { recursive: true, force: true });
}

/**
 * The reviewed statechart tables of tests/model/statecharts/*.md, and the comparison of a real
 * machine with its table: the states (kind, initial child) and, per state and event, the branches in
 * order (guard, target). The machine is read from its state nodes (`machine.root`), the table from
 * the markdown; nothing of one is built from the other.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnyStateMachine, AnyStateNode } from 'xstate';

export interface StateRow {
  kind: string;
  initial: string;
}

export interface Branch {
  guard: string;
  target: string;
}

export interface Statechart {
  states: Map<string, StateRow>;
  /** Branches by `state event`, in the order they are tried. */
  transitions: Map<string, Branch[]>;
}

export const ROOT = '(root)';
export const NO_TARGET = '—';

export function tablePath(machine: string): string {
  return fileURLToPath(new URL(`./statecharts/${machine}.md`, import.meta.url));
}

/** The rows of the markdown table under `## heading`, header and separator left out. */
function rows(markdown: string, heading: string, columns: number): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const table: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells.length !== columns) throw new Error(`a row of "${heading}" has ${cells.length} cells, not ${columns}: ${line}`);
    if (cells.every((cell) => /^-+$/.test(cell))) continue;
    table.push(cells);
  }
  // The first row is the header.
  return table.slice(1);
}

/** Parses one reviewed table (the markdown of tests/model/statecharts/<machine>.md). */
export function parseStatechart(markdown: string): Statechart {
  const states = new Map<string, StateRow>();
  for (const [state, kind, initial] of rows(markdown, 'States', 3)) {
    if (states.has(state!)) throw new Error(`state ${state} is listed twice`);
    states.set(state!, { kind: kind!, initial: initial! });
  }
  const transitions = new Map<string, Branch[]>();
  for (const [state, event, guard, target] of rows(markdown, 'Transitions', 4)) {
    const key = `${state} ${event}`;
    transitions.set(key, [...(transitions.get(key) ?? []), { guard: guard!, target: target! }]);
  }
  return { states, transitions };
}

export function readStatechart(machine: string): Statechart {
  return parseStatechart(readFileSync(tablePath(machine), 'utf8'));
}

type NodeTransition = { guard?: unknown; target?: readonly AnyStateNode[]; reenter?: boolean };

function guardText(guard: unknown): string {
  if (guard === undefined) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return 'inline';
  const { type, params } = guard as { type: string; params?: unknown };
  return params === undefined ? type : `${type}(${typeof params === 'string' ? params : JSON.stringify(params)})`;
}

/** The states and transitions of a real machine, read from its state nodes. */
export function statechartOf(machine: AnyStateMachine): Statechart {
  const name = (node: AnyStateNode) => (node.id === machine.id ? ROOT : node.id.startsWith(`${machine.id}.`) ? node.id.slice(machine.id.length + 1) : `#${node.id}`);
  const states = new Map<string, StateRow>();
  const transitions = new Map<string, Branch[]>();
  const visit = (node: AnyStateNode) => {
    const initial = node.type === 'compound' ? ((node.initial as { target?: readonly AnyStateNode[] } | undefined)?.target?.[0]?.key ?? '') : '';
    states.set(name(node), { kind: node.type, initial });
    const branches = (list: readonly NodeTransition[]) =>
      list.map((transition) => ({
        guard: guardText(transition.guard),
        target: `${transition.target?.length ? transition.target.map(name).join(', ') : NO_TARGET}${transition.reenter ? ' (reenter)' : ''}`,
      }));
    for (const [event, list] of node.transitions as Map<string, NodeTransition[]>) transitions.set(`${name(node)} ${event}`, branches(list));
    const always = (node.always ?? []) as NodeTransition[];
    if (always.length) transitions.set(`${name(node)} always`, branches(always));
    Object.values(node.states as Record<string, AnyStateNode>).forEach(visit);
  };
  visit(machine.root);
  return { states, transitions };
}

const branchText = (branch: Branch) => `${branch.guard ? `[${branch.guard}] ` : ''}→ ${branch.target}`;
const branchesText = (branches: readonly Branch[] | undefined) => (branches?.length ? branches.map(branchText).join(' | ') : 'nothing');

/** Where the machine and its reviewed table disagree, one readable line each; empty when they agree. */
export function drift(machine: Statechart, table: Statechart): string[] {
  const problems: string[] = [];
  for (const [state, row] of table.states) {
    const real = machine.states.get(state);
    if (!real) problems.push(`state ${state}: in the table, missing from the machine`);
    else if (real.kind !== row.kind || real.initial !== row.initial) {
      problems.push(`state ${state}: the table says ${row.kind}${row.initial ? ` (initial ${row.initial})` : ''}, the machine has ${real.kind}${real.initial ? ` (initial ${real.initial})` : ''}`);
    }
  }
  for (const state of machine.states.keys()) if (!table.states.has(state)) problems.push(`state ${state}: in the machine, missing from the table`);
  const keys = [...new Set([...table.transitions.keys(), ...machine.transitions.keys()])];
  for (const key of keys) {
    const expected = table.transitions.get(key);
    const real = machine.transitions.get(key);
    if (branchesText(expected) === branchesText(real)) continue;
    problems.push(`on ${key}: the table says ${branchesText(expected)}; the machine has ${branchesText(real)}`);
  }
  return problems;
}

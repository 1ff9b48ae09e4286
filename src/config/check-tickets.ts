import { isTable, list, quote, tableName } from './describe.js';
import type { ConfigIssue } from './issues.js';
import { locate, type SourceMap } from './locate.js';
import { didYouMean } from './suggest.js';
import { targetFileEscape } from './target-file.js';

/**
 * Checks that need more than one ticket, or the config, or the disk: ids, dependencies, cycles,
 * archetypes and target files. They run on the raw TOML data, skipping any field whose type is
 * wrong (the schema reports those), so that every problem in the file is reported in one go.
 */

export interface TicketCheckContext {
  file: string;
  map: SourceMap;
  tickets: unknown;
  archetypes: readonly string[];
  workspace: string;
}

interface RawTicket {
  index: number;
  id?: string;
  dependencies: { id: string; element: number }[];
  raw: Record<string, unknown>;
}

export function checkTickets(ctx: TicketCheckContext): ConfigIssue[] {
  if (!Array.isArray(ctx.tickets)) return [];
  const tickets: RawTicket[] = ctx.tickets.flatMap((raw: unknown, index) => {
    if (!isTable(raw)) return [];
    const deps = Array.isArray(raw.dependencies) ? (raw.dependencies as unknown[]) : [];
    return [
      {
        index,
        raw,
        ...(typeof raw.id === 'string' && { id: raw.id }),
        dependencies: deps.flatMap((id, element) => (typeof id === 'string' ? [{ id, element }] : [])),
      },
    ];
  });
  const issues: ConfigIssue[] = [];
  const at = (index: number, key: string | (string | number)[], message: string, prefer: 'key' | 'value' = 'key'): void => {
    const rest = typeof key === 'string' ? [key] : key;
    issues.push({ file: ctx.file, ...locate(ctx.map, ['tickets', index, ...rest], prefer), message });
  };
  const name = (t: RawTicket): string => tableName(['tickets', t.index], { tickets: ctx.tickets });

  // Ids: the first occurrence wins, later ones are reported against it.
  const byId = new Map<string, RawTicket>();
  for (const t of tickets) {
    if (t.id === undefined) continue;
    const first = byId.get(t.id);
    if (!first) {
      byId.set(t.id, t);
      continue;
    }
    const firstLine = locate(ctx.map, ['tickets', first.index, 'id']).line;
    const line = locate(ctx.map, ['tickets', t.index, 'id']).line;
    at(t.index, 'id', `duplicate ticket id "${t.id}": first defined at line ${firstLine}, defined again at line ${line}`);
  }
  const knownIds = [...byId.keys()];

  for (const t of tickets) {
    const archetype = t.raw.worker_archetype;
    if (typeof archetype === 'string' && archetype !== '' && !ctx.archetypes.includes(archetype)) {
      at(
        t.index,
        'worker_archetype',
        `unknown worker_archetype "${archetype}" in ${name(t)}; expected one of ${list(ctx.archetypes)}${didYouMean(archetype, ctx.archetypes)}`,
      );
    }
    const target = t.raw.target_file;
    if (typeof target === 'string' && target !== '') {
      const escape = targetFileEscape(ctx.workspace, target);
      if (escape) at(t.index, 'target_file', `target_file ${quote(target)} in ${name(t)} ${escape} (workspace: ${ctx.workspace})`);
    }
    for (const dep of t.dependencies) {
      if (byId.has(dep.id)) continue;
      at(
        t.index,
        ['dependencies', dep.element],
        `unknown dependency "${dep.id}" in ${name(t)}; known ticket ids: ${list(knownIds)}${didYouMean(dep.id, knownIds)}`,
        'value',
      );
    }
  }

  for (const cycle of findCycles([...byId.values()], byId)) {
    const first = cycle[0];
    const second = cycle[1] ?? first; // a self-dependency: the ticket's own id in its list
    if (!first || !second) continue;
    const element = first.dependencies.find((d) => d.id === second.id)?.element ?? 0;
    const names = [...cycle, first].map((t) => t.id).join(' -> ');
    const why = cycle.length === 1 ? `${first.id} depends on itself` : 'each ticket depends on the next';
    at(first.index, ['dependencies', element], `dependency cycle: ${names} (${why})`, 'value');
  }
  return issues;
}

/**
 * Every ticket that lies on a cycle is named in at least one reported cycle. Strongly connected
 * components (Tarjan) find the knots; within one, a shortest cycle through its earliest uncovered
 * ticket is reported until all its tickets are covered. Cycles start at their earliest ticket, so
 * messages are stable and point where a reader meets the problem first.
 * A cycle [A, B, C] means A depends on B, B on C, and C on A.
 */
function findCycles(tickets: RawTicket[], byId: Map<string, RawTicket>): RawTicket[][] {
  const edges = (t: RawTicket): RawTicket[] =>
    [...new Set(t.dependencies.map((d) => d.id))].flatMap((id) => byId.get(id) ?? []);

  const order = new Map<RawTicket, number>();
  const low = new Map<RawTicket, number>();
  const stack: RawTicket[] = [];
  const onStack = new Set<RawTicket>();
  const components: RawTicket[][] = [];
  const visit = (t: RawTicket): void => {
    order.set(t, order.size);
    low.set(t, order.get(t) ?? 0);
    stack.push(t);
    onStack.add(t);
    for (const next of edges(t)) {
      if (!order.has(next)) {
        visit(next);
        low.set(t, Math.min(low.get(t) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(t, Math.min(low.get(t) ?? 0, order.get(next) ?? 0));
      }
    }
    if (low.get(t) !== order.get(t)) return;
    const component: RawTicket[] = [];
    for (let member = stack.pop(); member; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === t) break;
    }
    components.push(component);
  };
  for (const t of tickets) if (!order.has(t)) visit(t);

  // A self-dependency is always its own cycle, even inside a larger knot.
  const cycles: RawTicket[][] = tickets.filter((t) => edges(t).includes(t)).map((t) => [t]);
  for (const component of components) {
    if (component.length < 2) continue;
    const members = new Set(component);
    const covered = new Set<RawTicket>();
    for (const start of [...component].sort((a, b) => a.index - b.index)) {
      if (covered.has(start)) continue;
      const cycle = shortestCycle(start, members, edges);
      cycle.forEach((t) => covered.add(t));
      cycles.push(cycle);
    }
  }
  return cycles.sort((a, b) => (a[0]?.index ?? 0) - (b[0]?.index ?? 0) || a.length - b.length);
}

/** Breadth-first from `start` back to itself, staying inside its component. */
function shortestCycle(start: RawTicket, members: Set<RawTicket>, edges: (t: RawTicket) => RawTicket[]): RawTicket[] {
  const parent = new Map<RawTicket, RawTicket>();
  const queue: RawTicket[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const current = queue[head] as RawTicket;
    for (const next of edges(current)) {
      if (!members.has(next) || next === current) continue;
      if (next === start) {
        const path: RawTicket[] = [];
        for (let t: RawTicket | undefined = current; t && t !== start; t = parent.get(t)) path.unshift(t);
        return [start, ...path];
      }
      if (parent.has(next)) continue;
      parent.set(next, current);
      queue.push(next);
    }
  }
  return [start];
}

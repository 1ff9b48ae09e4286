import { z } from 'zod';
import { assistantMessageSchema, type AssistantMessage } from '../protocol/index.js';
import { ModelSetupError } from './model-setup-error.js';
import { errorText } from '../protocol/error-text.js';
import { formatPath, MAX_INPUT_DEPTH, nestedTooDeep } from './model-client.js';

/**
 * The scripted model's script: per ticket, the assistant messages it replays. A ticket maps either
 * to one list (used by every attempt) or to `{attempts: [...]}` with one list per attempt, the
 * last list repeating for later attempts.
 */
export type ReplyList = AssistantMessage[];
export type TicketScript = ReplyList | { attempts: ReplyList[] };
/**
 * The replies of one archetype (the planning, review and QA tiers): by ticket id (a reviewer's or a
 * QA hint's ticket; `@plan` for the planner), by request (the first rule whose `match` occurs in the
 * agent's first message, case-insensitive), else `default`. For a reviewer, the per-attempt lists
 * are its reviews of the ticket in order (the second list answers the second review).
 */
export interface AgentScript {
  tickets?: Record<string, TicketScript>;
  requests?: { match: string; replies: TicketScript }[];
  default?: TicketScript;
}

export interface Script {
  version: 1;
  /** The implementing workers' replies, by ticket id. */
  tickets: Record<string, TicketScript>;
  /** The other archetypes' replies, by archetype name (an archetype not here is looked up in `tickets`). */
  agents?: Record<string, AgentScript>;
}

const replyListSchema = z.array(assistantMessageSchema).min(1, 'a ticket needs at least one scripted reply');
const attemptsSchema = z.strictObject({
  attempts: z.array(replyListSchema).min(1, 'attempts needs at least one list of replies'),
});
// Tickets are validated one by one (see parseScript) so an error keeps its full path; a zod
// union of the two ticket shapes would report only "Invalid input" at the ticket.
const scriptShellSchema = z.strictObject({
  version: z.literal(1),
  tickets: z.record(z.string().min(1), z.unknown()),
  agents: z
    .record(
      z.string().min(1),
      z.strictObject({
        tickets: z.record(z.string().min(1), z.unknown()).optional(),
        requests: z.array(z.strictObject({ match: z.string().min(1), replies: z.unknown() })).optional(),
        default: z.unknown().optional(),
      }),
    )
    .optional(),
});

type Path = ReadonlyArray<PropertyKey>;

export { formatPath };

interface Problem {
  path: Path;
  message: string;
}

function zodProblems(error: z.ZodError, prefix: Path): Problem[] {
  return error.issues.map((issue) => ({ path: [...prefix, ...issue.path], message: issue.message }));
}

/**
 * Ids must be unique within one transcript, as the Messages API requires. An input may nest at
 * most MAX_INPUT_DEPTH levels: the run would refuse the reply anyway, so the script fails first.
 */
function replyListProblems(list: ReplyList, prefix: Path): Problem[] {
  const seen = new Map<string, Path>();
  const problems: Problem[] = [];
  list.forEach((message, m) =>
    message.content.forEach((block, b) => {
      if (block.type !== 'tool_use') return;
      const path = [...prefix, m, 'content', b, 'id'];
      const first = seen.get(block.id);
      if (first) problems.push({ path, message: `duplicate tool_use id "${block.id}" (first used at ${formatPath(first)})` });
      else seen.set(block.id, path);
      const deep = nestedTooDeep(block.input);
      if (deep) {
        problems.push({
          path: [...prefix, m, 'content', b, 'input', ...deep],
          message: `the input nests deeper than ${MAX_INPUT_DEPTH} levels; no tool takes such input`,
        });
      }
    }),
  );
  return problems;
}

function checkTicket(value: unknown, prefix: Path): { ticket?: TicketScript; problems: Problem[] } {
  if (Array.isArray(value)) {
    const parsed = replyListSchema.safeParse(value);
    if (!parsed.success) return { problems: zodProblems(parsed.error, prefix) };
    return { ticket: parsed.data, problems: replyListProblems(parsed.data, prefix) };
  }
  if (typeof value === 'object' && value !== null) {
    const parsed = attemptsSchema.safeParse(value);
    if (!parsed.success) return { problems: zodProblems(parsed.error, prefix) };
    const problems = parsed.data.attempts.flatMap((list, a) => replyListProblems(list, [...prefix, 'attempts', a]));
    return { ticket: parsed.data, problems };
  }
  return {
    problems: [{ path: prefix, message: 'expected a list of assistant messages or {"attempts": [[...], ...]}' }],
  };
}

const MAX_LISTED_PROBLEMS = 8;

/** Bad input, not a bug: the CLI prints it and exits 2 (a plain Error would be a crash). */
function scriptError(source: string, problems: Problem[]): ModelSetupError {
  const lines = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `${source}: ${formatPath(p.path)}: ${p.message}`);
  const more = problems.length - lines.length;
  if (more > 0) lines.push(`${source}: ... and ${more} more problem${more === 1 ? '' : 's'}`);
  return new ModelSetupError(lines.join('\n'), { file: source });
}

/** Validates an already-parsed script value. `source` names the file in error messages. */
export function parseScript(value: unknown, source = '<script>'): Script {
  const shell = scriptShellSchema.safeParse(value);
  if (!shell.success) throw scriptError(source, zodProblems(shell.error, []));
  const tickets: Record<string, TicketScript> = {};
  const problems: Problem[] = [];
  for (const [id, entry] of Object.entries(shell.data.tickets)) {
    const checked = checkTicket(entry, ['tickets', id]);
    problems.push(...checked.problems);
    if (checked.ticket) tickets[id] = checked.ticket;
  }
  let agents: Record<string, AgentScript> | undefined;
  for (const [name, agent] of Object.entries(shell.data.agents ?? {})) {
    const script: AgentScript = {};
    for (const [id, entry] of Object.entries(agent.tickets ?? {})) {
      const checked = checkTicket(entry, ['agents', name, 'tickets', id]);
      problems.push(...checked.problems);
      if (checked.ticket) (script.tickets ??= {})[id] = checked.ticket;
    }
    (agent.requests ?? []).forEach((rule, index) => {
      const checked = checkTicket(rule.replies, ['agents', name, 'requests', index, 'replies']);
      problems.push(...checked.problems);
      if (checked.ticket) (script.requests ??= []).push({ match: rule.match, replies: checked.ticket });
    });
    if (agent.default !== undefined) {
      const checked = checkTicket(agent.default, ['agents', name, 'default']);
      problems.push(...checked.problems);
      if (checked.ticket) script.default = checked.ticket;
    }
    (agents ??= {})[name] = script;
  }
  if (problems.length > 0) throw scriptError(source, problems);
  return { version: 1, tickets, ...(agents ? { agents } : {}) };
}

/** Parses script JSON text; syntax errors say where (file:line:column). */
export function parseScriptText(text: string, source = '<script>'): Script {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const offset = jsonErrorOffset(body);
    const { line, column } = lineAndColumn(body, offset);
    const reason = errorText(error);
    throw new ModelSetupError(`${source}:${line}:${column}: invalid JSON (at position ${offset}): ${reason}`, { file: source, line, column, cause: error });
  }
  return parseScript(value, source);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}

/**
 * Offset of the first JSON syntax error. Node 20's JSON.parse does not always say where
 * ("Unexpected token '}', ... is not valid JSON"), so a small scanner finds it.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined || c < ' ') fail();
      if (c === '"') return void i++;
      if (c === '\\') {
        const next = text[i + 1] ?? '';
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return void ((i += 2), fail());
          i += 6;
        } else if ('"\\/bfnrt'.includes(next) && next !== '') i += 2;
        else return void (i++, fail());
      } else i++;
    }
  };
  const sequence = (close: string, member: () => void): void => {
    i++;
    skipSpace();
    if (text[i] === close) return void i++;
    for (;;) {
      member();
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === close) return void i++;
      else fail();
    }
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') {
      return sequence('}', () => {
        skipSpace();
        if (text[i] !== '"') fail();
        string();
        skipSpace();
        if (text[i] !== ':') fail();
        i++;
        value();
      });
    }
    if (c === '[') return sequence(']', value);
    if (c === '"') return string();
    literal.lastIndex = i;
    const match = literal.exec(text);
    if (!match) fail();
    else i += match[0].length;
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail();
    return text.length; // no syntax error found: point at the end
  } catch (error) {
    if (error instanceof JsonSyntaxAt) return error.offset;
    throw error;
  }
}

class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}

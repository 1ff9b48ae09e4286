/**
 * What `clutch init` writes: a starter track of two tickets, the scripted model's replies for them,
 * an agents.toml that refers to both, and the small workspace the tickets change. Each file says
 * what it is for, so that a new user can change it into their own track.
 */

const greetStub = `// Greetings for the starter track: ticket T1 implements greet, T2 adds farewell.

/** "Ada" → "Hello, Ada!". Throws a RangeError for an empty name. */
export function greet(name) {
  throw new Error('not implemented');
}
`;

const greetDone = `// Greetings for the starter track: ticket T1 implements greet, T2 adds farewell.

/** "Ada" → "Hello, Ada!". Throws a RangeError for an empty name. */
export function greet(name) {
  if (typeof name !== 'string' || name.trim() === '') throw new RangeError('greet needs a name');
  return \`Hello, \${name}!\`;
}
`;

const greetTest = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greet } from '../src/greet.js';

test('greet names the person', () => {
  assert.equal(greet('Ada'), 'Hello, Ada!');
});

test('greet refuses an empty name', () => {
  assert.throws(() => greet(''), RangeError);
});
`;

const farewellTest = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { farewell } from '../src/greet.js';

test('farewell says goodbye', () => {
  assert.equal(farewell('Ada'), 'Goodbye, Ada!');
});
`;

const workspacePackage = `${JSON.stringify(
  { name: 'starter', version: '0.0.0', private: true, description: 'The workspace of the starter track', type: 'module', scripts: { test: 'node --test' } },
  null,
  2,
)}\n`;

const text = (value: string) => ({ type: 'text', text: value });
const call = (id: string, name: string, input: Record<string, unknown>) => ({ type: 'tool_use', id, name, input });
const reply = (...content: object[]) => ({ role: 'assistant', content });

/** The replies, in the format of docs/scripted-model.md: one list of assistant messages per ticket. */
const script = {
  version: 1,
  tickets: {
    T1: [
      reply(text('Let me read the stub first.'), call('toolu_T1_01', 'read_file', { path: 'src/greet.js' })),
      reply(text('Now greet itself, with the empty-name check the test asks for.'), call('toolu_T1_02', 'write_file', { path: 'src/greet.js', content: greetDone })),
      reply(call('toolu_T1_03', 'run_command', { argv: ['node', '--test'] })),
      reply(call('toolu_T1_04', 'task_complete', { summary: 'greet(name) returns "Hello, NAME!" and refuses an empty name; node --test passes.' })),
    ],
    T2: [
      reply(call('toolu_T2_01', 'read_file', { path: 'src/greet.js' })),
      reply(
        text('farewell goes after greet.'),
        call('toolu_T2_02', 'edit_file', {
          path: 'src/greet.js',
          old_string: "  return `Hello, ${name}!`;\n}\n",
          new_string: "  return `Hello, ${name}!`;\n}\n\n/** \"Ada\" → \"Goodbye, Ada!\". */\nexport function farewell(name) {\n  return `Goodbye, ${name}!`;\n}\n",
        }),
      ),
      reply(call('toolu_T2_03', 'write_file', { path: 'test/farewell.test.js', content: farewellTest })),
      reply(call('toolu_T2_04', 'run_command', { argv: ['node', '--test'] })),
      reply(call('toolu_T2_05', 'task_complete', { summary: 'Added farewell(name) with its test; the whole suite passes.' })),
    ],
  },
};

const track = `# A starter track, written by \`clutch init\`. Change it into your own: each [[tickets]] entry is
# one piece of work for one worker agent. Check it with \`clutch validate track.toml\`.

[track]
id = "starter"
title = "Greetings"
description = "A greet function and a farewell next to it, until node --test passes."
# The folder the tickets work in, relative to this file. Each run works on its own copy of it,
# in .clutch/runs/<id>/ under the folder you run clutch in; this one is never changed.
workspace = "workspace"

[[tickets]]
# A simple name, unique in the track; the script's replies for this ticket are under "T1".
id = "T1"
# The file the ticket is about, relative to the workspace.
target_file = "src/greet.js"
# What the worker is asked to do: its first message.
prompt = "Implement greet(name) in src/greet.js: it returns \\"Hello, NAME!\\" and throws a RangeError for an empty name. Make test/greet.test.js pass."
# Which [agents.*] archetype of agents.toml carries it out.
worker_archetype = "codegen"
# Tickets that must be completed before this one starts.
dependencies = []

[[tickets]]
id = "T2"
target_file = "src/greet.js"
prompt = "Add farewell(name) to src/greet.js, returning \\"Goodbye, NAME!\\", with a test of its own. The whole suite (node --test) must pass."
worker_archetype = "codegen"
dependencies = ["T1"]
`;

const agents = `# Clutch configuration for the starter track, written by \`clutch init\`. Clutch's own agents.toml
# describes every key; an unknown key or a wrong value is an error with file:line:column.

[execution]
# "async" runs the tickets whose dependencies are met side by side; "linear" one at a time.
mode = "async"
max_concurrency = 2
# "none" lets each agent use its own trust_level; "step" or "auto" overrides them all.
trust_override = "none"
# A file in each run's folder, written after each ticket in linear mode.
debug_state_path = "debug_state.json"
# Each ticket works in its own git worktree and merges back when it completes ("shared": one folder).
isolation = "worktree"
# run_command runs under bubblewrap (apt-get install bubblewrap); "none" runs it unsandboxed.
sandbox = "bwrap"

[models.scripted]
# Replays script.json: offline, deterministic, no API key. The format is in Clutch's
# docs/scripted-model.md; \`clutch run track.toml --script other.json\` replays another file.
provider = "scripted"
script = "script.json"

[models.sonnet]
# The same track on Claude: ANTHROPIC_API_KEY=... clutch run track.toml --model sonnet
provider = "anthropic"
model = "claude-sonnet-4-6"
max_tokens = 8192

# The same track on a local model, through any OpenAI-compatible server (here Ollama, after
# \`ollama pull qwen2.5-coder:7b\`): uncomment, then clutch run track.toml --model ollama
# [models.ollama]
# provider = "openai"
# base_url = "http://127.0.0.1:11434/v1"
# model = "qwen2.5-coder:7b"
# input_price_per_mtok = 0
# output_price_per_mtok = 0

[agents.codegen]
# Implementation tier.
tier = 3
model = "scripted"
# "step": every tool call waits for your approval, then for your review of its result.
trust_level = "step"
tools = ["read_file", "list_files", "search_files", "read_skeleton", "write_file", "edit_file", "run_command", "task_complete"]
# Programs run_command may start (bare names; no shell). Not a security boundary: node can start a
# shell. The sandbox is what contains a command.
allowed_commands = ["node"]
max_turns = 12
command_timeout_s = 60
# A ticket that spends this many tokens waits at a budget pause (raise it, or abort the ticket).
max_tokens_per_ticket = 500000
system_prompt = """
You are a careful software engineer implementing one ticket. Read the relevant files first, make
the smallest complete change, run the tests with node, and call task_complete with a summary.
"""
`;

/** Relative path → content, in the order they are written (and listed). */
export const starterFiles: ReadonlyArray<readonly [string, string]> = [
  ['agents.toml', agents],
  ['track.toml', track],
  ['script.json', `${JSON.stringify(script, null, 2)}\n`],
  ['workspace/package.json', workspacePackage],
  ['workspace/src/greet.js', greetStub],
  ['workspace/test/greet.test.js', greetTest],
];

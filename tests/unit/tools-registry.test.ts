import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toolNames } from '../../src/protocol/index.js';
import { executeTool, previewTool, tools, toolSpecs, type ToolContext } from '../../src/tools/index.js';

let workspace: string;
let context: ToolContext;

beforeEach(() => {
  workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-registry-')));
  writeFileSync(path.join(workspace, 'a.txt'), 'alpha\n');
  context = { workspace, allowedCommands: ['node'], commandTimeoutMs: 5_000, maxOutputBytes: 4096 };
});

afterEach(() => rmSync(workspace, { recursive: true, force: true }));

describe('registry', () => {
  it('has one tool per protocol tool name, under that name', () => {
    expect(Object.keys(tools).sort()).toEqual([...toolNames].sort());
    for (const name of toolNames) expect(tools[name].name).toBe(name);
  });

  it('toolSpecs gives JSON schemas without $schema, strict about extra keys', () => {
    const [spec, other] = toolSpecs(['read_file', 'task_complete']);
    expect(spec).toMatchObject({ name: 'read_file', description: expect.stringContaining('numbered') });
    expect(spec?.input_schema).toMatchObject({
      type: 'object',
      required: ['path'],
      additionalProperties: false,
      properties: { path: { type: 'string' }, offset: { type: 'integer' }, limit: { type: 'integer' } },
    });
    expect(spec?.input_schema).not.toHaveProperty('$schema');
    expect(other?.input_schema).toMatchObject({ required: ['summary'] });
    expect(toolSpecs([])).toEqual([]);
  });

  it('toolSpecs throws on an unknown name: that is a configuration bug', () => {
    expect(() => toolSpecs(['read_file', 'format_disk'])).toThrow(/unknown tool "format_disk"/);
  });

  it('hostile: an unknown tool name is a tool error listing the available tools', async () => {
    expect(await executeTool('format_disk', {}, context)).toEqual({
      content: `unknown tool "format_disk"; available tools: ${toolNames.join(', ')}`,
      is_error: true,
    });
    // Object.prototype members are not tools either.
    expect((await executeTool('constructor', {}, context)).is_error).toBe(true);
  });

  it('hostile: a tool this agent was not given is refused like an unknown one', async () => {
    const limited = { ...context, enabledTools: ['read_file', 'task_complete'] };
    expect(await executeTool('run_command', { argv: ['node', '-e', '1'] }, limited)).toEqual({
      content: 'unknown tool "run_command"; available tools: read_file, task_complete',
      is_error: true,
    });
    expect((await executeTool('read_file', { path: 'a.txt' }, limited)).is_error).toBe(false);
  });

  it('hostile: input with an unknown key or a wrong type is refused with readable issues', async () => {
    expect(await executeTool('read_file', { path: 'a.txt', mode: 'rw' }, context)).toEqual({
      content: 'invalid input for read_file: input: Unrecognized key: "mode"',
      is_error: true,
    });
    const wrong = await executeTool('run_command', { argv: 'rm -rf /' }, context);
    expect(wrong).toEqual({
      content: 'invalid input for run_command: argv: Invalid input: expected array, received string',
      is_error: true,
    });
    const notObject = await executeTool('edit_file', null, context);
    expect(notObject.is_error).toBe(true);
    expect(notObject.content).toMatch(/^invalid input for edit_file: input: .*expected object/);
  });

  it('turns an unexpected exception inside a tool into an internal error result', async () => {
    const broken = { ...context };
    Object.defineProperty(broken, 'maxOutputBytes', {
      get() {
        throw new Error('boom');
      },
    });
    expect(await executeTool('read_file', { path: 'a.txt' }, broken)).toEqual({
      content: 'internal error in tool read_file: boom',
      is_error: true,
    });
  });

  it('previewTool: JSON for tools without a preview, the summary for task_complete', async () => {
    expect(await previewTool('read_file', { path: 'a.txt', offset: 2 }, context)).toEqual({
      kind: 'text',
      text: '{\n  "path": "a.txt",\n  "offset": 2\n}',
    });
    expect(await previewTool('task_complete', { summary: 'Fixed the bug.' }, context)).toEqual({
      kind: 'text',
      text: 'Fixed the bug.',
    });
  });

  it('previewTool states the problem for invalid input or an unknown tool, never throws', async () => {
    expect(await previewTool('write_file', { path: 'a.txt' }, context)).toEqual({
      kind: 'text',
      text: 'invalid input for write_file: content: Invalid input: expected string, received undefined',
    });
    expect(await previewTool('nope', {}, context)).toMatchObject({ kind: 'text', text: expect.stringMatching(/^unknown tool "nope"/) });
    expect(await previewTool('write_file', { path: '../x', content: '' }, context)).toEqual({
      kind: 'text',
      text: 'write_file will fail: the path "../x" is outside the workspace (it leads above the workspace root)',
    });
  });

  it('task_complete returns the summary', async () => {
    expect(await executeTool('task_complete', { summary: 'Added tests.' }, context)).toEqual({
      content: 'Added tests.',
      is_error: false,
    });
    expect((await executeTool('task_complete', { summary: '' }, context)).is_error).toBe(true);
  });
});

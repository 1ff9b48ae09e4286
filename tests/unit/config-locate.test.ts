import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { formatIssue, locate, scanToml, type TomlPath } from '../../src/config/index.js';
import { lines } from '../fixtures/config/helpers.js';

const source = lines(
  '# [not.a.header] = comment', // 1
  'title = "x" # [also] not', // 2
  '"quoted key" = 1', // 3
  "'lit.key' = 2", // 4
  'when = 1979-05-27 07:32:00Z', // 5
  '', // 6
  '[agents.codegen]', // 7
  'prompt = """', // 8
  '[fake]', // 9
  'tier = 99', // 10
  '"""', // 11
  "notes = '''", // 12
  "[[fake]]'''", // 13
  'tier = 3', // 14
  'limits.turns = 20', // 15
  '  tools = [', // 16
  '    "read_file", # a comment, with [brackets]', // 17
  '    ["nested", "array"],', // 18
  '    "write_file",', // 19
  '  ]', // 20
  'inline = { a = 1, b = { c = "}" }, d = [1, 2] }', // 21
  '', // 22
  '[[tickets]]', // 23
  'id = "T1"', // 24
  '', // 25
  '[[tickets]]', // 26
  'id = "T2"', // 27
  '[tickets.meta]', // 28
  'owner = "me"', // 29
  '[[tickets.steps]]', // 30
  'name = "a"', // 31
  '[[tickets.steps]]', // 32
  'name = "b"', // 33
  '', // 34
  '[ spaced . "table" ]', // 35
  'k = 1', // 36
);

const map = scanToml(source);
const at = (path: TomlPath, prefer: 'key' | 'value' = 'key') => {
  const { line, column } = locate(map, path, prefer);
  return `${line}:${column}`;
};

describe('locate: mapping issue paths to source positions', () => {
  it('the source is valid TOML, parsed as the paths below assume', () => {
    const data = parse(source) as Record<string, any>;
    expect(data.agents.codegen.limits.turns).toBe(20);
    expect(data.tickets[1].steps[1].name).toBe('b');
    expect(data.spaced.table.k).toBe(1);
  });

  it('top-level keys: bare, quoted, literal, after comments, with date values', () => {
    expect(at(['title'])).toBe('2:1');
    expect(at(['title'], 'value')).toBe('2:9');
    expect(at(['quoted key'])).toBe('3:1');
    expect(at(['lit.key'])).toBe('4:1');
    expect(at(['when'])).toBe('5:1');
  });

  it('tables, with multi-line strings that look like headers skipped', () => {
    expect(at(['agents', 'codegen'])).toBe('7:9');
    expect(at(['agents', 'codegen', 'prompt'])).toBe('8:1');
    expect(at(['agents', 'codegen', 'notes'])).toBe('12:1');
    expect(at(['agents', 'codegen', 'tier'])).toBe('14:1');
    expect(at(['fake'])).toBe('1:1'); // never defined: falls back to the top
  });

  it('dotted keys and indented keys', () => {
    expect(at(['agents', 'codegen', 'limits'])).toBe('15:1');
    expect(at(['agents', 'codegen', 'limits', 'turns'])).toBe('15:8');
    expect(at(['agents', 'codegen', 'tools'])).toBe('16:3');
  });

  it('array elements, across lines, comments and nested arrays', () => {
    expect(at(['agents', 'codegen', 'tools', 0], 'value')).toBe('17:5');
    expect(at(['agents', 'codegen', 'tools', 1, 1], 'value')).toBe('18:16');
    expect(at(['agents', 'codegen', 'tools', 2], 'value')).toBe('19:5');
  });

  it('inline tables, nested, with a brace inside a string', () => {
    expect(at(['agents', 'codegen', 'inline', 'a'])).toBe('21:12');
    expect(at(['agents', 'codegen', 'inline', 'b', 'c'])).toBe('21:25');
    expect(at(['agents', 'codegen', 'inline', 'd'])).toBe('21:36');
    expect(at(['agents', 'codegen', 'inline', 'd', 1], 'value')).toBe('21:44');
  });

  it('arrays of tables by index, and sub-tables of their latest element', () => {
    expect(at(['tickets', 0, 'id'])).toBe('24:1');
    expect(at(['tickets', 1, 'id'])).toBe('27:1');
    expect(at(['tickets', 1, 'meta', 'owner'])).toBe('29:1');
    expect(at(['tickets', 1, 'steps', 0, 'name'])).toBe('31:1');
    expect(at(['tickets', 1, 'steps', 1, 'name'])).toBe('33:1');
  });

  it('a missing key falls back to the nearest enclosing table header', () => {
    expect(at(['tickets', 0, 'prompt'])).toBe('23:1');
    expect(at(['tickets', 1, 'steps', 1, 'missing'])).toBe('32:1');
    expect(at(['agents', 'codegen', 'missing'])).toBe('7:1');
    expect(at(['spaced', 'table', 'k'])).toBe('36:1');
    expect(at(['spaced', 'table', 'missing'])).toBe('35:1');
    expect(at(['nothing', 'here'])).toBe('1:1');
  });

  it('records redefinitions, to explain duplicate keys', () => {
    const dup = scanToml('a = 1\n[t]\nx = 1\nx = 2\n');
    expect(dup.redefinitions).toEqual([{ path: ['t', 'x'], first: { line: 3, column: 1 }, second: { line: 4, column: 1 } }]);
    const again = scanToml('[a]\n[[a]]\n[[b]]\n[[b]]\n[b.c]\n[b.c]\n');
    expect(again.redefinitions.map((r) => [r.path, r.second.line])).toEqual([
      [['a'], 2],
      [['b', 1, 'c'], 6],
    ]);
  });

  it('formatIssue prints file:line:column: message', () => {
    expect(formatIssue({ file: 'agents.toml', line: 3, column: 7, message: 'boom' })).toBe('agents.toml:3:7: boom');
  });
});

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeTool, previewTool, type ToolContext } from '../../src/tools/index.js';

let workspace: string;
let outside: string;
let context: ToolContext;

function put(relative: string, content: string | Buffer): void {
  const file = path.join(workspace, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function read(relative: string): string {
  return readFileSync(path.join(workspace, relative), 'utf8');
}

beforeEach(() => {
  workspace = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-tools-ws-')));
  outside = realpathSync(mkdtempSync(path.join(tmpdir(), 'clutch-tools-out-')));
  writeFileSync(path.join(outside, 'secret.txt'), 'top secret\n');
  context = { workspace, allowedCommands: ['node'], commandTimeoutMs: 10_000, maxOutputBytes: 64 * 1024 };
});

afterEach(() => {
  rmSync(workspace, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('read_file', () => {
  it('returns numbered lines', async () => {
    put('src/a.ts', 'one\ntwo\nthree\n');
    expect(await executeTool('read_file', { path: 'src/a.ts' }, context)).toEqual({
      content: '    1| one\n    2| two\n    3| three',
      is_error: false,
    });
  });

  it('honours offset and limit and says how to continue', async () => {
    put('a.txt', Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n'));
    const out = await executeTool('read_file', { path: 'a.txt', offset: 12, limit: 2 }, context);
    expect(out.is_error).toBe(false);
    expect(out.content).toBe('   12| line 12\n   13| line 13\n[… 7 more lines; continue with offset=14 …]');
  });

  it('caps the output at maxOutputBytes with a marker', async () => {
    put('big.txt', Array.from({ length: 5000 }, (_, i) => `row ${i + 1} ${'x'.repeat(40)}`).join('\n'));
    const out = await executeTool('read_file', { path: 'big.txt' }, { ...context, maxOutputBytes: 1000 });
    expect(out.is_error).toBe(false);
    const [body, marker] = out.content.split('\n[…');
    expect(Buffer.byteLength(body ?? '')).toBeLessThanOrEqual(1000);
    expect(marker).toMatch(/output truncated at 1000 bytes: showed lines 1-\d+ of 5000; continue with offset=\d+/);
    expect(out.content.startsWith('    1| row 1 ')).toBe(true);
  });

  it('refuses a directory, a missing file (suggesting list_files) and an offset past the end', async () => {
    put('src/a.ts', 'a\n');
    expect(await executeTool('read_file', { path: 'src' }, context)).toEqual({
      content: '"src" is a directory, not a file; use list_files to see what it holds',
      is_error: true,
    });
    expect(await executeTool('read_file', { path: 'nope.ts' }, context)).toEqual({
      content: 'file not found: "nope.ts"; use list_files to see which files exist',
      is_error: true,
    });
    const out = await executeTool('read_file', { path: 'src/a.ts', offset: 5 }, context);
    expect(out).toEqual({ content: 'offset 5 is past the end of "src/a.ts", which has 1 line', is_error: true });
  });

  it('hostile: refuses a binary file', async () => {
    put('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
    const out = await executeTool('read_file', { path: 'image.png' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/"image.png" is a binary file \(it contains NUL bytes\)/);
  });

  it('hostile: refuses ../ traversal', async () => {
    const out = await executeTool('read_file', { path: `../${path.basename(outside)}/secret.txt` }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/is outside the workspace/);
    expect(out.content).not.toContain('top secret');
  });

  it('hostile: refuses a deep a/../../x escape', async () => {
    const out = await executeTool('read_file', { path: 'a/../../x' }, context);
    expect(out).toEqual({
      content: 'the path "a/../../x" is outside the workspace (it leads above the workspace root)',
      is_error: true,
    });
  });

  it('hostile: refuses an absolute path', async () => {
    const out = await executeTool('read_file', { path: path.join(outside, 'secret.txt') }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/^absolute paths are not allowed/);
  });

  it('hostile: refuses a NUL byte in the path', async () => {
    put('a.txt', 'a');
    const out = await executeTool('read_file', { path: 'a.txt\0../../etc/passwd' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/contains a NUL byte/);
  });

  it('hostile: refuses to read through a symlinked file that points outside', async () => {
    symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'innocent.txt'));
    const out = await executeTool('read_file', { path: 'innocent.txt' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/goes through a symlink that points outside the workspace/);
    expect(out.content).not.toContain('top secret');
  });
});

describe('list_files', () => {
  beforeEach(() => {
    put('b.txt', 'b');
    put('a.txt', 'a');
    put('src/z.ts', 'z');
    put('src/lib/m.ts', 'm');
    put('node_modules/dep/index.js', 'x');
    put('.git/HEAD', 'ref');
  });

  it('lists one level, sorted, directories with a trailing slash, skipping node_modules and .git', async () => {
    expect(await executeTool('list_files', {}, context)).toEqual({ content: 'a.txt\nb.txt\nsrc/', is_error: false });
  });

  it('lists recursively with workspace-relative paths', async () => {
    expect(await executeTool('list_files', { path: 'src', recursive: true }, context)).toEqual({
      content: 'src/lib/\nsrc/lib/m.ts\nsrc/z.ts',
      is_error: false,
    });
  });

  it('caps the count with a marker', async () => {
    for (let i = 0; i < 1005; i++) put(`many/f${String(i).padStart(4, '0')}.txt`, '');
    const out = await executeTool('list_files', { path: 'many' }, context);
    const lines = out.content.split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toBe('many/f0000.txt');
    expect(lines.at(-1)).toMatch(/^\[… listing truncated after 1000 entries/);
  });

  it('marks symlinks without following them', async () => {
    symlinkSync(outside, path.join(workspace, 'src', 'escape'));
    const out = await executeTool('list_files', { path: 'src', recursive: true }, context);
    expect(out.content).toBe('src/escape (symlink)\nsrc/lib/\nsrc/lib/m.ts\nsrc/z.ts');
    expect(out.content).not.toContain('secret');
  });

  it('errors on a file or a missing directory', async () => {
    expect(await executeTool('list_files', { path: 'a.txt' }, context)).toEqual({
      content: '"a.txt" is a file, not a directory; use read_file to read it',
      is_error: true,
    });
    const missing = await executeTool('list_files', { path: 'nope' }, context);
    expect(missing).toMatchObject({ is_error: true, content: expect.stringMatching(/^directory not found: "nope"/) });
  });

  it('hostile: refuses to list a symlinked directory that points outside', async () => {
    symlinkSync(outside, path.join(workspace, 'out'));
    const out = await executeTool('list_files', { path: 'out' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/symlink that points outside the workspace/);
  });
});

describe('search_files', () => {
  beforeEach(() => {
    put('src/a.ts', 'const answer = 42;\nfunction foo() {}\n');
    put('src/b.ts', 'foo();\nbar();\n');
    put('node_modules/dep/index.js', 'foo();\n');
    put('blob.bin', Buffer.concat([Buffer.from('foo'), Buffer.from([0])]));
  });

  it('finds a literal string as path:line: text, skipping node_modules and binary files', async () => {
    expect(await executeTool('search_files', { pattern: 'foo(' }, context)).toEqual({
      content: 'src/a.ts:2: function foo() {}\nsrc/b.ts:1: foo();',
      is_error: false,
    });
  });

  it('searches with a regular expression under a path', async () => {
    expect(await executeTool('search_files', { pattern: '^(foo|bar)\\(\\)', regex: true, path: 'src' }, context)).toEqual(
      { content: 'src/b.ts:1: foo();\nsrc/b.ts:2: bar();', is_error: false },
    );
  });

  it('says when nothing matches', async () => {
    const out = await executeTool('search_files', { pattern: 'zebra' }, context);
    expect(out).toEqual({ content: 'no matches for "zebra" in "." (1 binary, unreadable or very large files skipped)', is_error: false });
  });

  it('caps the number of matches with a marker', async () => {
    put('many.txt', 'hit\n'.repeat(500));
    const out = await executeTool('search_files', { pattern: 'hit', path: 'many.txt' }, context);
    const lines = out.content.split('\n');
    expect(lines).toHaveLength(201);
    expect(lines[199]).toBe('many.txt:200: hit');
    expect(lines[200]).toMatch(/^\[… more matches not shown \(stopped after 200\)/);
  });

  it('hostile: an invalid regex is a tool error', async () => {
    const out = await executeTool('search_files', { pattern: 'foo(', regex: true }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/^invalid regular expression "foo\(": .*Unterminated group/);
  });

  it('hostile: a catastrophically backtracking regex is stopped, not left to freeze the engine', async () => {
    put('evil.txt', `${'a'.repeat(40)}!\n`);
    const out = await executeTool('search_files', { pattern: '^(a+)+$', regex: true, path: 'evil.txt' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/regular expression ran longer than 2000 ms/);
  });

  it('hostile: refuses to search outside the workspace', async () => {
    const out = await executeTool('search_files', { pattern: 'secret', path: '..' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/outside the workspace/);
  });
});

describe('write_file', () => {
  it('creates a file and its parent directories; the preview is a diff from /dev/null', async () => {
    const input = { path: 'src/new/hello.ts', content: 'export const hi = 1;\n' };
    const preview = await previewTool('write_file', input, context);
    expect(preview).toMatchObject({ kind: 'diff', path: 'src/new/hello.ts', created: true });
    if (preview.kind !== 'diff') throw new Error('expected a diff');
    expect(preview.diff).toContain('--- /dev/null');
    expect(preview.diff).toContain('+++ b/src/new/hello.ts');
    expect(preview.diff).toContain('@@ -0,0 +1,1 @@\n+export const hi = 1;');
    expect(existsSync(path.join(workspace, 'src/new/hello.ts'))).toBe(false);

    expect(await executeTool('write_file', input, context)).toEqual({
      content: 'wrote 21 bytes to "src/new/hello.ts" (created)',
      is_error: false,
    });
    expect(read('src/new/hello.ts')).toBe('export const hi = 1;\n');
  });

  it('replaces a file; the preview diffs old against new', async () => {
    put('a.txt', 'one\ntwo\n');
    const preview = await previewTool('write_file', { path: 'a.txt', content: 'one\n2\n' }, context);
    expect(preview).toMatchObject({ kind: 'diff', created: false });
    if (preview.kind !== 'diff') throw new Error('expected a diff');
    expect(preview.diff).toContain('--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n');
    const out = await executeTool('write_file', { path: 'a.txt', content: 'one\n2\n' }, context);
    expect(out).toEqual({ content: 'wrote 6 bytes to "a.txt" (replaced)', is_error: false });
    expect(read('a.txt')).toBe('one\n2\n');
  });

  it('hostile: refuses to write through a symlinked file that points outside', async () => {
    symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'config.txt'));
    const out = await executeTool('write_file', { path: 'config.txt', content: 'pwned' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/symlink that points outside the workspace/);
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
  });

  it('hostile: refuses a new file under a symlinked directory that points outside', async () => {
    symlinkSync(outside, path.join(workspace, 'build'));
    const out = await executeTool('write_file', { path: 'build/sub/evil.sh', content: 'x' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/symlink that points outside the workspace/);
    expect(existsSync(path.join(outside, 'sub'))).toBe(false);
  });

  it('hostile: refuses ../ traversal and the workspace root', async () => {
    const escape = await executeTool('write_file', { path: '../evil.txt', content: 'x' }, context);
    expect(escape).toMatchObject({ is_error: true, content: expect.stringMatching(/outside the workspace/) });
    expect(existsSync(path.join(path.dirname(workspace), 'evil.txt'))).toBe(false);
    const root = await executeTool('write_file', { path: '.', content: 'x' }, context);
    expect(root).toMatchObject({ is_error: true, content: expect.stringMatching(/workspace root itself/) });
  });

  it('refuses to overwrite a directory', async () => {
    put('src/a.ts', 'a');
    const out = await executeTool('write_file', { path: 'src', content: 'x' }, context);
    expect(out).toMatchObject({ is_error: true, content: expect.stringMatching(/^cannot write "src": "src" is a directory/) });
  });
});

describe('edit_file', () => {
  beforeEach(() => put('src/a.ts', 'const a = 1;\nconst b = 1;\nconst c = 2;\n'));

  it('replaces a unique string; the preview is a diff and does not write', async () => {
    const input = { path: 'src/a.ts', old_string: 'const c = 2;', new_string: 'const c = 3;' };
    const preview = await previewTool('edit_file', input, context);
    expect(preview).toMatchObject({ kind: 'diff', path: 'src/a.ts', created: false });
    if (preview.kind !== 'diff') throw new Error('expected a diff');
    expect(preview.diff).toContain('--- a/src/a.ts\n+++ b/src/a.ts\n');
    expect(preview.diff).toContain('-const c = 2;\n+const c = 3;\n');
    expect(read('src/a.ts')).toBe('const a = 1;\nconst b = 1;\nconst c = 2;\n');

    expect(await executeTool('edit_file', input, context)).toEqual({
      content: 'edited "src/a.ts": replaced 1 occurrence',
      is_error: false,
    });
    expect(read('src/a.ts')).toBe('const a = 1;\nconst b = 1;\nconst c = 3;\n');
  });

  it('replaces every occurrence with replace_all, literally (no $& expansion)', async () => {
    const out = await executeTool('edit_file', { path: 'src/a.ts', old_string: '= 1', new_string: "= '$&'", replace_all: true }, context);
    expect(out).toEqual({ content: 'edited "src/a.ts": replaced 2 occurrences', is_error: false });
    expect(read('src/a.ts')).toBe("const a = '$&';\nconst b = '$&';\nconst c = 2;\n");
  });

  it('hostile: 0 matches is an error that says so, and nothing is written', async () => {
    const out = await executeTool('edit_file', { path: 'src/a.ts', old_string: 'const d', new_string: 'x' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/^old_string was not found in "src\/a.ts" \(0 occurrences\)/);
    expect(read('src/a.ts')).toBe('const a = 1;\nconst b = 1;\nconst c = 2;\n');
  });

  it('hostile: 2 matches without replace_all is an error with the count and advice', async () => {
    const out = await executeTool('edit_file', { path: 'src/a.ts', old_string: '= 1;', new_string: '= 5;' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toBe(
      'old_string occurs 2 times in "src/a.ts"; it must occur exactly once. Include more surrounding lines ' +
        'to make it unique, or set replace_all to true to replace every occurrence.',
    );
    expect(read('src/a.ts')).toBe('const a = 1;\nconst b = 1;\nconst c = 2;\n');
    const preview = await previewTool('edit_file', { path: 'src/a.ts', old_string: '= 1;', new_string: '= 5;' }, context);
    expect(preview).toEqual({ kind: 'text', text: `edit_file will fail: ${out.content}` });
  });

  it('hostile: a missing file is an error that points to write_file', async () => {
    const out = await executeTool('edit_file', { path: 'src/missing.ts', old_string: 'a', new_string: 'b' }, context);
    expect(out).toEqual({
      content: 'file not found: "src/missing.ts"; use write_file to create a new file, or list_files to find the right path',
      is_error: true,
    });
    expect(existsSync(path.join(workspace, 'src/missing.ts'))).toBe(false);
  });

  it('hostile: refuses to edit through a symlink that points outside', async () => {
    symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'linked.txt'));
    const out = await executeTool('edit_file', { path: 'linked.txt', old_string: 'top', new_string: 'no' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/symlink that points outside the workspace/);
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
  });
});

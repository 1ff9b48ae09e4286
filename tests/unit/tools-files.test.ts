import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeTool, plannedEffect, previewTool, type ToolContext } from '../../src/tools/index.js';
import { firstNonUtf8Byte, listedPath } from '../../src/tools/files.js';
import { REDACTED } from '../../src/protocol/redact.js';

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

  it('a new file in a folder that goes away between the plan and the write: the folder is made again', async () => {
    put('out/keep.txt', 'x');
    const once: ToolContext = { ...context, planned: new Map() };
    const input = { path: 'out/new.txt', content: 'new\n' };
    // The plan (made for the intent) finds the folder there and the file not.
    expect(await plannedEffect('write_file', input, once)).toMatchObject({ path: path.join(workspace, 'out/new.txt'), created: true });
    rmSync(path.join(workspace, 'out'), { recursive: true });
    expect(await executeTool('write_file', input, once)).toEqual({ content: 'wrote 4 bytes to "out/new.txt" (created)', is_error: false });
    expect(read('out/new.txt')).toBe('new\n');
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

describe('hard links', () => {
  it('hostile: write_file replaces a hard link to an outside file instead of writing through it', async () => {
    linkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'linked.txt'));
    const preview = await previewTool('write_file', { path: 'linked.txt', content: 'mine\n' }, context);
    if (preview.kind !== 'diff') throw new Error('expected a diff');
    expect(preview.diff).not.toContain('top secret');
    expect(preview.diff).toMatch(/--- a\/linked.txt\tcurrent content not shown: a hard link shared with a name outside/);
    expect(preview.before).toBeUndefined();
    const out = await executeTool('write_file', { path: 'linked.txt', content: 'mine\n' }, context);
    expect(out).toEqual({
      content: 'wrote 5 bytes to "linked.txt" (replaced; it was a hard link shared with a name outside the workspace, which keeps its old content)',
      is_error: false,
    });
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
    expect(read('linked.txt')).toBe('mine\n');
    expect(statSync(path.join(workspace, 'linked.txt')).nlink).toBe(1);
    expect(statSync(path.join(outside, 'secret.txt')).nlink).toBe(1);
  });

  it('hostile: read_file refuses a hard link whose other name is outside, naming the path and why', async () => {
    linkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'linked.txt'));
    const out = await executeTool('read_file', { path: 'linked.txt' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/^"linked.txt" is a hard link: the same file has 2 names and 1 of them is not in the workspace/);
    expect(out.content).toMatch(/write_file on this path replaces it/);
    expect(out.content).not.toContain('top secret');
  });

  it('hostile: edit_file refuses a hard link to an outside file and changes nothing', async () => {
    linkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'linked.txt'));
    const out = await executeTool('edit_file', { path: 'linked.txt', old_string: 'top', new_string: 'no' }, context);
    expect(out.is_error).toBe(true);
    expect(out.content).toMatch(/"linked.txt" is a hard link/);
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
    const preview = await previewTool('edit_file', { path: 'linked.txt', old_string: 'top', new_string: 'no' }, context);
    expect(preview).toMatchObject({ kind: 'text', text: expect.stringMatching(/^edit_file will fail: "linked.txt" is a hard link/) });
  });

  it('reads a hard link whose names are all in the workspace; an edit replaces the file, the other name keeps its content', async () => {
    put('src/one.txt', 'shared text\n');
    mkdirSync(path.join(workspace, 'deep/er'), { recursive: true });
    linkSync(path.join(workspace, 'src/one.txt'), path.join(workspace, 'deep/er/two.txt'));
    expect(await executeTool('read_file', { path: 'deep/er/two.txt' }, context)).toEqual({ content: '    1| shared text', is_error: false });
    const out = await executeTool('edit_file', { path: 'src/one.txt', old_string: 'shared', new_string: 'own' }, context);
    expect(out.is_error).toBe(false);
    expect(read('src/one.txt')).toBe('own text\n');
    expect(read('deep/er/two.txt')).toBe('shared text\n');
  });

  it('hostile: a name in node_modules is not searched, so such a link is refused', async () => {
    put('node_modules/pkg/index.js', 'module.exports = 1;\n');
    linkSync(path.join(workspace, 'node_modules/pkg/index.js'), path.join(workspace, 'copy.js'));
    const out = await executeTool('read_file', { path: 'copy.js' }, context);
    expect(out).toMatchObject({ is_error: true, content: expect.stringMatching(/node_modules and \.git not searched/) });
  });

  it('hostile: search_files skips a hard link to an outside file and says so', async () => {
    put('plain.txt', 'top of the plain file\n');
    linkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'linked.txt'));
    const out = await executeTool('search_files', { pattern: 'top' }, context);
    expect(out).toEqual({
      content: 'plain.txt:1: top of the plain file\n[1 file not searched: hard links shared with a name outside the workspace: linked.txt]',
      is_error: false,
    });
    const only = await executeTool('search_files', { pattern: 'secret', path: 'linked.txt' }, context);
    expect(only.content).toBe('no matches for "secret" in "linked.txt"\n[1 file not searched: hard links shared with a name outside the workspace: linked.txt]');
  });

  it('every write goes through a temp file renamed over the target: a new inode, the mode kept, no temp left', async () => {
    put('run.sh', 'echo 1\n');
    const file = path.join(workspace, 'run.sh');
    chmodSync(file, 0o750);
    const before = statSync(file).ino;
    await executeTool('write_file', { path: 'run.sh', content: 'echo 2\n' }, context);
    const afterWrite = statSync(file);
    expect(afterWrite.ino).not.toBe(before);
    expect(afterWrite.mode & 0o777).toBe(0o750);
    await executeTool('edit_file', { path: 'run.sh', old_string: '2', new_string: '3' }, context);
    expect(statSync(file).ino).not.toBe(afterWrite.ino);
    expect(read('run.sh')).toBe('echo 3\n');
    expect(readdirSync(workspace)).toEqual(['run.sh']);
  });

  it('writes a file whose name is near the 255-byte limit (the temp name is cut)', async () => {
    const name = `${'n'.repeat(250)}.txt`;
    const out = await executeTool('write_file', { path: name, content: 'x' }, context);
    expect(out.is_error).toBe(false);
    expect(read(name)).toBe('x');
  });
});

describe('.git', () => {
  beforeEach(() => {
    put('.git/config', '[core]\n');
    put('.git/HEAD', 'ref: refs/heads/main\n');
    put('sub/.GIT/x', 'x\n');
    put('src/a.ts', 'const git = 1;\n');
  });

  it('hostile: read_file, write_file and edit_file refuse any path with a .git component, in any case', async () => {
    for (const [tool, input] of [
      ['read_file', { path: '.git/config' }],
      ['read_file', { path: '.GIT/HEAD' }],
      ['read_file', { path: 'sub/.GIT/x' }],
      ['write_file', { path: '.git/hooks/pre-commit', content: '#!/bin/sh\ncurl evil\n' }],
      ['write_file', { path: '.git', content: 'gitdir: /elsewhere\n' }],
      ['write_file', { path: 'src/../.Git/config', content: '[core]\nhooksPath = /tmp\n' }],
      ['edit_file', { path: '.git/config', old_string: '[core]', new_string: '[core]\n\tfsmonitor = evil' }],
      ['list_files', { path: '.git' }],
      ['search_files', { pattern: 'core', path: '.git' }],
    ] as const) {
      const out = await executeTool(tool, input, context);
      expect(out.is_error, `${tool} ${JSON.stringify(input)}`).toBe(true);
      expect(out.content).toMatch(/is in \.git, git's own data/);
    }
    expect(existsSync(path.join(workspace, '.git/hooks'))).toBe(false);
    expect(read('.git/config')).toBe('[core]\n');
  });

  it('hostile: refuses a symlink inside the workspace that leads into .git', async () => {
    symlinkSync(path.join(workspace, '.git'), path.join(workspace, 'meta'));
    const out = await executeTool('write_file', { path: 'meta/config', content: 'x' }, context);
    expect(out).toMatchObject({ is_error: true, content: expect.stringMatching(/is in \.git/) });
    expect(read('.git/config')).toBe('[core]\n');
  });

  it('list_files and search_files do not show .git in any case, nor a .git file', async () => {
    rmSync(path.join(workspace, '.git'), { recursive: true });
    put('.git', 'gitdir: /somewhere/else\n');
    const listed = await executeTool('list_files', { recursive: true }, context);
    expect(listed.content).toBe('src/\nsrc/a.ts\nsub/');
    const found = await executeTool('search_files', { pattern: 'x' }, context);
    expect(found.content).toBe('no matches for "x" in "."');
    const git = await executeTool('search_files', { pattern: 'git' }, context);
    expect(git.content).toBe('src/a.ts:1: const git = 1;');
  });
});

describe('text that is not UTF-8', () => {
  const latin1 = Buffer.from([...Buffer.from('caf'), 0xe9, ...Buffer.from(' cr'), 0xe8, ...Buffer.from('me\nline two\n')]);

  it('finds the first byte that is not UTF-8', () => {
    expect(firstNonUtf8Byte(latin1)).toBe(3);
    expect(firstNonUtf8Byte(Buffer.from('café ✓ 日本'))).toBeUndefined();
    expect(firstNonUtf8Byte(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2);
    expect(firstNonUtf8Byte(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBeUndefined();
  });

  it('hostile: edit_file refuses a Latin-1 file and leaves every byte as it was', async () => {
    put('legacy.txt', latin1);
    const input = { path: 'legacy.txt', old_string: 'line two', new_string: 'line 2' };
    const out = await executeTool('edit_file', input, context);
    expect(out).toEqual({
      content:
        '"legacy.txt" is not UTF-8 text (the byte at offset 3 is not valid UTF-8); edit_file would change bytes it did ' +
        'not touch. Use write_file with the whole new content instead',
      is_error: true,
    });
    expect(readFileSync(path.join(workspace, 'legacy.txt')).equals(latin1)).toBe(true);
    expect(await previewTool('edit_file', input, context)).toEqual({ kind: 'text', text: `edit_file will fail: ${out.content}` });
  });

  it('read_file shows the file and says first that it is not UTF-8', async () => {
    put('legacy.txt', latin1);
    const out = await executeTool('read_file', { path: 'legacy.txt' }, context);
    expect(out.is_error).toBe(false);
    const [note, ...lines] = out.content.split('\n');
    expect(note).toMatch(/^\[note: "legacy.txt" is not UTF-8 text \(the byte at offset 3 is not valid UTF-8\); such bytes are shown as U\+FFFD/);
    expect(note).toMatch(/edit_file refuses this file .* write_file can replace it whole/);
    expect(lines).toEqual(['    1| caf\uFFFD cr\uFFFDme', '    2| line two']);
  });

  it('write_file replaces a Latin-1 file whole; edit_file keeps a UTF-8 BOM and CRLF exactly', async () => {
    put('legacy.txt', latin1);
    expect((await executeTool('write_file', { path: 'legacy.txt', content: 'café crème\n' }, context)).is_error).toBe(false);
    expect(read('legacy.txt')).toBe('café crème\n');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a = 1\r\nb = 2\r\n')]);
    put('bom.txt', bom);
    expect((await executeTool('edit_file', { path: 'bom.txt', old_string: 'b = 2', new_string: 'b = 3' }, context)).is_error).toBe(false);
    expect(readFileSync(path.join(workspace, 'bom.txt')).equals(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a = 1\r\nb = 3\r\n')]))).toBe(true);
  });
});

describe('write size cap', () => {
  it('hostile: write_file refuses content over maxWriteBytes before anything is written, with both sizes', async () => {
    const small = { ...context, maxWriteBytes: 100 };
    const input = { path: 'big/new.txt', content: 'x'.repeat(101) };
    const out = await executeTool('write_file', input, small);
    expect(out).toEqual({
      content:
        'the content for "big/new.txt" is 101 bytes, more than the limit of 100 bytes (max_write_bytes in agents.toml\'s ' +
        '[execution]); nothing was written: write a smaller file, or split the content over several files',
      is_error: true,
    });
    expect(existsSync(path.join(workspace, 'big'))).toBe(false);
    expect(await previewTool('write_file', input, small)).toEqual({ kind: 'text', text: `write_file will fail: ${out.content}` });
    expect((await executeTool('write_file', { path: 'ok.txt', content: 'x'.repeat(100) }, small)).is_error).toBe(false);
  });

  it('counts UTF-8 bytes and defaults to 8 MiB when the context sets no limit', async () => {
    expect((await executeTool('write_file', { path: 'e.txt', content: 'é'.repeat(51) }, { ...context, maxWriteBytes: 101 })).is_error).toBe(true);
    const limit = 8 * 1024 * 1024;
    const over = await executeTool('write_file', { path: 'huge.txt', content: 'x'.repeat(limit + 1) }, context);
    expect(over.content).toMatch(/is 8388609 bytes, more than the limit of 8388608 bytes/);
    const at = await executeTool('write_file', { path: 'huge.txt', content: 'x'.repeat(limit) }, context);
    expect(at).toEqual({ content: 'wrote 8388608 bytes to "huge.txt" (created)', is_error: false });
  });

  it('hostile: edit_file refuses an edit whose result would exceed the limit, without building it', async () => {
    put('grow.txt', 'ab'.repeat(20));
    const out = await executeTool(
      'edit_file',
      { path: 'grow.txt', old_string: 'a', new_string: 'x'.repeat(1000), replace_all: true },
      { ...context, maxWriteBytes: 10_000 },
    );
    expect(out).toMatchObject({ is_error: true, content: expect.stringMatching(/^the edit would leave "grow.txt" at 20020 bytes, more than the limit of 10000 bytes/) });
    expect(read('grow.txt')).toBe('ab'.repeat(20));
  });
});

describe('file names with line breaks and control characters', () => {
  it('hostile: list_files and search_files quote such names as JSON strings, so no name passes for another line', async () => {
    put('evil\nfake.ts', 'needle\n');
    put('tab\there.txt', 'needle\n');
    put('bidi\u202Etxt.exe', 'needle\n');
    put('"quoted".txt', 'needle\n');
    put('plain.txt', 'needle\n');
    const listed = await executeTool('list_files', {}, context);
    expect(listed.content.split('\n')).toEqual([
      '"\\"quoted\\".txt"',
      '"bidi\\u202etxt.exe"',
      '"evil\\nfake.ts"',
      'plain.txt',
      '"tab\\there.txt"',
    ]);
    const found = await executeTool('search_files', { pattern: 'needle' }, context);
    const lines = found.content.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines).toContain('"evil\\nfake.ts":1: needle');
    expect(lines.some((line) => line.startsWith('fake.ts'))).toBe(false);
    expect(listed.content.split('\n').includes('fake.ts')).toBe(false);
  });

  it('the tools work on such a path, and their messages quote it', async () => {
    const name = 'line\nbreak\r.txt';
    expect(await executeTool('write_file', { path: name, content: 'one\n' }, context)).toEqual({
      content: `wrote 4 bytes to ${JSON.stringify(name)} (created)`,
      is_error: false,
    });
    expect(await executeTool('read_file', { path: name }, context)).toEqual({ content: '    1| one', is_error: false });
    expect((await executeTool('edit_file', { path: name, old_string: 'one', new_string: 'two' }, context)).is_error).toBe(false);
    expect(read(name)).toBe('two\n');
    expect((await executeTool('read_file', { path: 'no\nsuch' }, context)).content).toBe('file not found: "no\\nsuch"; use list_files to see which files exist');
  });

  it('listedPath leaves ordinary names alone', () => {
    expect(listedPath('src/a b/ü.ts')).toBe('src/a b/ü.ts');
    expect(listedPath('a\u2028b')).toBe('"a\\u2028b"');
    expect(listedPath('a\u0007b')).toBe('"a\\u0007b"');
  });
});

describe('secret redaction at the tool boundary', () => {
  const secret = 'sk-ant-api03-tool-boundary-secret-9876';

  it('redacts every output of the secret, plain or encoded, before it leaves executeTool', async () => {
    put(
      'dump.txt',
      [
        `plain ${secret}`,
        `b64 ${Buffer.from(`x${secret}`).toString('base64')}`,
        `hex ${Buffer.from(secret).toString('hex').toUpperCase()}`,
        `url ${encodeURIComponent(secret)}`,
        `spaced ${[...secret].join(' ')}`,
      ].join('\n'),
    );
    const withSecrets = { ...context, secrets: [secret] };
    const out = await executeTool('read_file', { path: 'dump.txt' }, withSecrets);
    expect(out.is_error).toBe(false);
    expect(out.content.split('\n').map((line) => line.replace(/^ +\d+\| /, ''))).toEqual([
      `plain ${REDACTED}`,
      expect.stringMatching(/^b64 \w{0,2}\[redacted\]\w{0,3}=*$/),
      `hex ${REDACTED}`,
      `url ${REDACTED}`,
      `spaced ${REDACTED}`,
    ]);
    const found = await executeTool('search_files', { pattern: 'plain' }, withSecrets);
    expect(found.content).toBe(`dump.txt:1: plain ${REDACTED}`);
    const failed = await executeTool('read_file', { path: `missing-${secret}.txt` }, withSecrets);
    expect(failed).toEqual({ content: `file not found: "missing-${REDACTED}.txt"; use list_files to see which files exist`, is_error: true });
    expect((await executeTool('read_file', { path: 'dump.txt' }, context)).content).toContain(secret);
  });

  it('redacts previews: the diff and the whole texts', async () => {
    put('env.txt', `KEY=${secret}\n`);
    const preview = await previewTool('write_file', { path: 'env.txt', content: `KEY=${secret}\nMORE=1\n` }, { ...context, secrets: [secret] });
    expect(JSON.stringify(preview)).not.toContain(secret);
    if (preview.kind !== 'diff') throw new Error('expected a diff');
    expect(preview.before).toBe(`KEY=${REDACTED}\n`);
    expect(preview.diff).toContain(`+MORE=1`);
    const command = await previewTool('run_command', { argv: ['node', '-e', secret] }, { ...context, secrets: [secret] });
    expect(JSON.stringify(command)).not.toContain(secret);
  });
});

import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, loadTrack, parseTrack } from '../../src/config/index.js';
import {
  chainTrack,
  expectIssues,
  expectOk,
  fixturesDir,
  insertAfter,
  repoRoot,
  withLine,
} from '../fixtures/config/helpers.js';

const config = expectOk(loadConfig(path.join(repoRoot, 'agents.toml')));
const FILE = '/tracks/demo/track.toml';
const parse = (text: string, workspace?: string) =>
  parseTrack(text, FILE, workspace === undefined ? { config } : { config, workspace });

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clutch-config-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('loadTrack: valid tracks', () => {
  it('loads the fixture track: pending statuses, track order, absolute source and workspace', () => {
    const file = path.join(fixturesDir, 'valid-track.toml');
    const { track, workspace } = expectOk(loadTrack(file, { config }));
    expect(workspace).toBe(path.join(fixturesDir, 'workspace'));
    expect(track).toMatchObject({ id: 'calc', title: 'Calculator', status: 'pending', source: file });
    expect(track.description).toBe('Add a small math module and its consumers.');
    expect(track.tickets.map((t) => t.id)).toEqual(['T1', 'T2', 'report.v2']);
    expect(track.tickets.every((t) => t.status === 'pending')).toBe(true);
    expect(track.tickets[0]).toEqual({
      id: 'T1',
      target_file: 'src/math.js',
      prompt: 'Create add(a, b) and mul(a, b) in src/math.js.',
      worker_archetype: 'contract_stubber',
      status: 'pending',
      dependencies: [],
    });
    expect(track.tickets[2]?.dependencies).toEqual(['T1', 'T2']);
    expect(track.tickets[2]?.prompt).toBe('Print a table of add and mul results\nfor 1..3.\n');
  });

  it('defaults the workspace to the track folder; options.workspace wins over [track].workspace', () => {
    expect(expectOk(parse(chainTrack)).workspace).toBe('/tracks/demo');
    const declared = insertAfter(chainTrack, 4, 'workspace = "../ws"');
    expect(expectOk(parse(declared)).workspace).toBe('/tracks/ws');
    expect(expectOk(parse(declared, '/elsewhere/ws')).workspace).toBe('/elsewhere/ws');
  });
});

describe('parseTrack: every bad ticket names file, line, column and what was expected', () => {
  it('a duplicate ticket id names both lines', () => {
    expectIssues(parse(withLine(chainTrack, 20, 'id = "T1"')), [
      { line: 20, column: 1, message: 'duplicate ticket id "T1": first defined at line 7, defined again at line 20' },
      // T3's own id is gone, so T4's dependency on it is now unknown too.
      { line: 31, column: 17, message: 'unknown dependency "T3" in ticket "T4"' },
    ]);
  });

  it('an unknown dependency lists the known ids', () => {
    expectIssues(parse(withLine(chainTrack, 17, 'dependencies = ["T1", "T9"]')), [
      { line: 17, column: 23, message: 'unknown dependency "T9" in ticket "T2"; known ticket ids: T1, T2, T3, T4' },
    ]);
  });

  it('a three-ticket cycle names every ticket in order, at the first ticket', () => {
    expectIssues(parse(withLine(chainTrack, 17, 'dependencies = ["T4"]')), [
      { line: 17, column: 17, message: 'dependency cycle: T2 -> T4 -> T3 -> T2' },
    ]);
  });

  it('a cycle in a file on disk, with an extra dependency outside it', () => {
    const file = path.join(fixturesDir, 'cycle-track.toml');
    expectIssues(loadTrack(file, { config }), [{ line: 16, column: 23, message: 'dependency cycle: T2 -> T3 -> T4 -> T2' }]);
  });

  it('a self-dependency is a cycle', () => {
    expectIssues(parse(insertAfter(chainTrack, 10, 'dependencies = ["T1"]')), [
      { line: 11, column: 17, message: 'dependency cycle: T1 -> T1 (T1 depends on itself)' },
    ]);
  });

  it('an unknown worker_archetype lists the known ones', () => {
    expectIssues(parse(withLine(chainTrack, 10, 'worker_archetype = "codgen"')), [
      {
        line: 10,
        column: 1,
        message: [
          'unknown worker_archetype "codgen" in ticket "T1"; expected one of codegen, refactor, contract_stubber, pm, tech_lead, qa',
          'did you mean "codegen"?',
        ],
      },
    ]);
  });

  it('an empty prompt', () => {
    expectIssues(parse(withLine(chainTrack, 15, 'prompt = ""')), [
      { line: 15, column: 1, message: 'prompt in ticket "T2": expected a non-empty prompt, got string ""' },
    ]);
  });

  it('a whitespace-only prompt, even a multi-line one', () => {
    expectIssues(parse(withLine(chainTrack, 15, 'prompt = """\n   \n\t\n"""')), [
      { line: 15, column: 1, message: 'prompt in ticket "T2": expected a non-empty prompt' },
    ]);
  });

  it('an absolute target_file', () => {
    expectIssues(parse(withLine(chainTrack, 8, 'target_file = "/etc/passwd"')), [
      { line: 8, column: 1, message: 'target_file "/etc/passwd" in ticket "T1" is an absolute path; it must be relative to the workspace' },
    ]);
  });

  it('a target_file escaping with ../', () => {
    expectIssues(parse(withLine(chainTrack, 21, 'target_file = "src/../../outside.js"')), [
      { line: 21, column: 1, message: ['target_file "src/../../outside.js" in ticket "T3" escapes the workspace through ".."', '(workspace: /tracks/demo)'] },
    ]);
  });

  it('a target_file that stays inside despite .. is fine', () => {
    expect(expectOk(parse(withLine(chainTrack, 21, 'target_file = "src/x/../c.js"'))).track.tickets[2]?.target_file).toBe('src/x/../c.js');
  });

  it('a target_file through a symlink that leaves the workspace', () => {
    const root = tempDir();
    const workspace = path.join(root, 'ws');
    const outside = path.join(root, 'outside');
    mkdirSync(path.join(workspace, 'src'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, path.join(workspace, 'src', 'vendor'));
    symlinkSync(path.join(workspace, 'src'), path.join(workspace, 'inside-link')); // stays inside: fine
    symlinkSync(path.join(outside, 'missing.js'), path.join(workspace, 'dangling.js'));
    let text = withLine(chainTrack, 8, 'target_file = "src/vendor/lib.js"');
    text = withLine(text, 14, 'target_file = "inside-link/b.js"');
    text = withLine(text, 21, 'target_file = "dangling.js"');
    const file = path.join(workspace, 'track.toml');
    writeFileSync(file, text);
    // realpath: on some systems os.tmpdir() itself is behind a symlink.
    const real = (p: string) => path.join(realpathSync(root), p);
    expectIssues(loadTrack(file, { config }), [
      { line: 8, column: 1, message: `target_file "src/vendor/lib.js" in ticket "T1" resolves outside the workspace through the symlink "src/vendor" -> ${real('outside')}` },
      { line: 21, column: 1, message: `target_file "dangling.js" in ticket "T3" resolves outside the workspace through the symlink "dangling.js" -> ${real('outside/missing.js')}` },
    ]);
  });

  it('an id that is not a simple name', () => {
    expectIssues(parse(withLine(chainTrack, 7, 'id = "T 1"')), [
      { line: 7, column: 1, message: 'id in ticket "T 1": expected a simple name (letters, digits, "-", "_", "."), got string "T 1"' },
      { line: 17, column: 17, message: 'unknown dependency "T1" in ticket "T2"' },
    ]);
  });

  it('an unknown ticket key suggests the right one', () => {
    expectIssues(parse(insertAfter(chainTrack, 16, 'dependancies = ["T1"]')), [
      { line: 17, column: 1, message: ['unknown key "dependancies" in ticket "T2"; expected one of id, target_file, prompt, worker_archetype, dependencies', 'did you mean "dependencies"?'] },
    ]);
  });

  it('a wrong type for dependencies', () => {
    expectIssues(parse(withLine(chainTrack, 17, 'dependencies = "T1"')), [
      { line: 17, column: 1, message: 'dependencies in ticket "T2": expected array, got string "T1"' },
    ]);
  });

  it('a missing worker_archetype points at the [[tickets]] header', () => {
    expectIssues(parse(withLine(chainTrack, 23, undefined)), [
      { line: 19, column: 1, message: 'missing required key "worker_archetype" in ticket "T3"; expected a string' },
    ]);
  });

  it('a track without [track] or tickets', () => {
    expectIssues(parse('# nothing here\n'), [
      { line: 1, column: 1, message: 'missing required table [track]' },
      { line: 1, column: 1, message: 'missing [[tickets]]; expected at least one [[tickets]] table' },
    ]);
  });

  it('malformed TOML in a track', () => {
    expectIssues(parse(withLine(chainTrack, 12, '[[tickets]')), [{ line: 12, message: 'invalid TOML' }]);
  });

  it('reports every issue at once, sorted by line', () => {
    let text = withLine(chainTrack, 30, 'worker_archetype = "nope"');
    text = withLine(text, 8, 'target_file = "../x.js"');
    text = withLine(text, 22, 'prompt = " "');
    text = withLine(text, 24, 'dependencies = ["T2", "T3"]');
    expectIssues(parse(text), [
      { line: 8, message: 'escapes the workspace' },
      { line: 22, message: 'prompt in ticket "T3"' },
      { line: 24, column: 23, message: 'dependency cycle: T3 -> T3' },
      { line: 30, message: 'unknown worker_archetype "nope"' },
    ]);
  });

  it('a missing track file', () => {
    const file = path.join(tempDir(), 'nope.toml');
    expectIssues(loadTrack(file, { config }), [{ line: 1, column: 1, message: `cannot read ${file}: ENOENT` }]);
  });
});

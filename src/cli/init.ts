import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../runs/load-inputs.js';
import { starterFiles } from './init-files.js';

const scriptFormat = fileURLToPath(new URL('../../docs/scripted-model.md', import.meta.url));

/**
 * `clutch init [DIR]`: a starter track in DIR (made if missing) that validates and runs offline.
 * It never overwrites: when any of its files is already there, it names them and writes nothing.
 */
export function initCommand(options: { cwd: string; dir: string; stdout: NodeJS.WritableStream }): number {
  const dir = resolve(options.cwd, options.dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`init: ${dir} is a file; give a folder (it is made if missing)`);
  // The workspace is checked as a whole: files of another project in it would be changed by the tickets.
  const taken = [...new Set(starterFiles.map(([file]) => (file.startsWith('workspace/') ? 'workspace' : file)))].filter((file) => existsSync(join(dir, file)));
  if (taken.length > 0) {
    throw new UsageError(`init: ${dir} already has ${taken.join(', ')}; init never overwrites, so nothing was written. Move ${taken.length === 1 ? 'it' : 'them'} away or give another folder`);
  }
  for (const [file, content] of starterFiles) {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    // wx: should a file appear since the check, it is refused rather than overwritten.
    writeFileSync(path, content, { flag: 'wx' });
  }
  const print = (line: string) => options.stdout.write(`${line}\n`);
  const shown = relative(options.cwd, dir) || '.';
  print(`wrote a starter track in ${dir}:`);
  print('  agents.toml   the configuration: a scripted model profile and the codegen agent');
  print('  track.toml    two tickets, T2 after T1');
  print(`  script.json   the scripted model's replies for each ticket (the format: ${scriptFormat})`);
  print('  workspace/    the code the tickets change (each run works on its own copy)');
  print('next:');
  if (shown !== '.') print(`  cd ${shown}`);
  print('  clutch validate track.toml');
  print('  clutch run track.toml --trust auto     # every ticket, no questions');
  print('  clutch run track.toml                  # step mode: asks at each pause');
  return 0;
}

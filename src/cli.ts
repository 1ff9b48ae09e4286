import { parseArgs } from 'node:util';
import { runCommand } from './cli/run.js';
import { parsePort, serveCommand } from './cli/serve.js';
import { UsageError } from './runs/load-inputs.js';
import { validateCommand } from './cli/validate.js';
import { initCommand } from './cli/init.js';
import { resumeCommand } from './cli/resume.js';
import { deleteRunCommand, exportCommand, runsCommand } from './cli/runs.js';
import { planCommand } from './cli/plan.js';
import { modelsCommand } from './cli/models.js';
import { StoreError } from './store/index.js';
import { ModelSetupError } from './models/model-setup-error.js';

export { tuneHeap } from './runs/heap.js';

const usage = `usage:
  clutch init [DIR]
  clutch validate [--config F] [--model NAME] [--script FILE] [TRACK]
  clutch run TRACK [--config F] [--workspace DIR] [--mode async|linear] [--trust step|auto] [--model NAME]
                   [--script FILE] [--record FILE | --replay FILE] [--json]
  clutch run --request "REQUEST" [--workspace DIR] [--yes] [and the flags of run]
  clutch plan "REQUEST" [--config F] [--workspace DIR] [--out FILE] [--trust step|auto] [--model NAME] [--script FILE]
  clutch serve [--config F] [--track T] [--workspace DIR] [--port N] [--mode async|linear] [--trust step|auto]
               [--model NAME] [--script FILE] [--record FILE | --replay FILE] [--inspect-ws URL] [--resume RUN]
  clutch runs [--config F] [--json] [--delete RUN]
  clutch resume RUN [--config F] [--mode async|linear] [--trust step|auto] [--yes] [--json]
  clutch export RUN [--config F] [--out FILE]
  clutch models [--config F] [--timeout S] [--json]

exit codes: 0 all tickets completed (validate, init: all is well), 1 some tickets did not complete
(blocked, or the input ended at a step prompt), 2 invalid input (nothing was run), 130 stopped at Ctrl-C`;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

/** --mode and --trust, checked: serve, run and resume take them alike. */
function modeAndTrust(values: { mode?: string | undefined; trust?: string | undefined }) {
  return {
    mode: oneOf(values.mode, ['async', 'linear'] as const, '--mode'),
    trust: oneOf(values.trust, ['step', 'auto'] as const, '--trust'),
  };
}

export interface CliIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

export async function main(argv: string[], io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        delete: { type: 'string' },
        workspace: { type: 'string' },
        track: { type: 'string' },
        port: { type: 'string' },
        mode: { type: 'string' },
        trust: { type: 'string' },
        json: { type: 'boolean', default: false },
        model: { type: 'string' },
        script: { type: 'string' },
        record: { type: 'string' },
        replay: { type: 'string' },
        'inspect-ws': { type: 'string' },
        resume: { type: 'string' },
        out: { type: 'string' },
        request: { type: 'string' },
        yes: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      io.stdout.write(`${usage}\n`);
      return values.help ? 0 : 2;
    }
    if (command === 'init') {
      if (rest.length > 1) throw new UsageError('init takes at most one folder');
      return initCommand({ cwd: io.cwd, dir: rest[0] ?? '.', stdout: io.stdout });
    }
    if (command === 'validate') {
      if (rest.length > 1) throw new UsageError('validate takes at most one track file');
      return validateCommand({
        cwd: io.cwd,
        config: values.config,
        track: rest[0],
        workspace: values.workspace,
        model: values.model,
        script: values.script,
        stdout: io.stdout,
        stderr: io.stderr,
      });
    }
    if (command === 'serve') {
      if (rest.length > 0) throw new UsageError('serve takes no positional arguments (use --track T)');
      return await serveCommand({
        cwd: io.cwd,
        config: values.config,
        track: values.track,
        workspace: values.workspace,
        port: parsePort(values.port),
        ...modeAndTrust(values),
        model: values.model,
        script: values.script,
        record: values.record,
        replay: values.replay,
        inspectWs: values['inspect-ws'],
        resume: values.resume,
        stdout: io.stdout,
        stderr: io.stderr,
      });
    }
    if (command === 'plan') {
      if (rest.length !== 1) throw new UsageError('plan takes exactly one request, in quotes: clutch plan "Add a tax line to checkout"');
      return await planCommand({
        cwd: io.cwd,
        request: rest[0]!,
        config: values.config,
        workspace: values.workspace,
        trust: modeAndTrust(values).trust,
        model: values.model,
        script: values.script,
        out: values.out,
        stdin: io.stdin,
        stdout: io.stdout,
      });
    }
    if (command === 'run') {
      if (values.request !== undefined ? rest.length !== 0 : rest.length !== 1) {
        throw new UsageError(values.request !== undefined ? 'run --request takes no track file: the plan is the track' : 'run takes exactly one track file (or --request "REQUEST")');
      }
      return await runCommand({
        cwd: io.cwd,
        track: rest[0] ?? '',
        ...(values.request !== undefined ? { request: values.request } : {}),
        yes: values.yes ?? false,
        config: values.config,
        workspace: values.workspace,
        ...modeAndTrust(values),
        json: values.json ?? false,
        model: values.model,
        script: values.script,
        record: values.record,
        replay: values.replay,
        stdin: io.stdin,
        stdout: io.stdout,
      });
    }
    if (command === 'runs') {
      if (rest.length > 0) throw new UsageError('runs takes no positional arguments');
      if (values.delete !== undefined) return await deleteRunCommand({ cwd: io.cwd, config: values.config, run: values.delete, stdout: io.stdout });
      return runsCommand({ cwd: io.cwd, config: values.config, json: values.json ?? false, stdout: io.stdout });
    }
    if (command === 'resume') {
      if (rest.length !== 1) throw new UsageError('resume takes exactly one run id (`clutch runs` lists them)');
      return await resumeCommand({
        cwd: io.cwd,
        run: rest[0]!,
        config: values.config,
        ...modeAndTrust(values),
        json: values.json ?? false,
        yes: values.yes ?? false,
        stdin: io.stdin,
        stdout: io.stdout,
      });
    }
    if (command === 'export') {
      if (rest.length !== 1) throw new UsageError('export takes exactly one run id (`clutch runs` lists them)');
      return await exportCommand({ cwd: io.cwd, config: values.config, run: rest[0]!, out: values.out, stdout: io.stdout, stderr: io.stderr });
    }
    if (command === 'models') {
      if (rest.length > 0) throw new UsageError('models takes no positional arguments');
      return await modelsCommand({ cwd: io.cwd, config: values.config, timeout: values.timeout, json: values.json ?? false, stdout: io.stdout, stderr: io.stderr });
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    // Bad input found deeper down (the store, a script, a profile): said plainly, exit 2.
    if (error instanceof StoreError || error instanceof ModelSetupError) {
      io.stderr.write(`clutch: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`clutch: ${error.message}\n`);
      if (!(error instanceof UsageError)) io.stderr.write(`${usage}\n`);
      return 2;
    }
    throw error;
  }
}

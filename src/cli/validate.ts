import { checkInputs, type InputOptions } from '../runs/load-inputs.js';

export interface ValidateOptions extends InputOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * `clutch validate [--config F] [--model NAME] [--script FILE] [TRACK]`: 0 when all is well, 2 on
 * any issue. It makes the checks `clutch run` makes before it creates anything (the same
 * function), so a track it passes starts, and one it fails would have been refused.
 */
export function validateCommand(options: ValidateOptions): number {
  const checked = checkInputs(options);
  if (!checked.ok) {
    options.stderr.write(`${checked.problems.join('\n')}\n`);
    return 2;
  }
  const { config, track, scripts } = checked.value;
  const print = (line: string) => options.stdout.write(`${line}\n`);
  print(`${config.source}: ok (${Object.keys(config.agents).length} agents, ${Object.keys(config.models).length} model profiles)`);
  for (const script of scripts) print(`${script.file}: ok (script of [models.${script.profile}], ${script.tickets} tickets)`);
  if (track) print(`${track.file}: ok (${track.track.tickets.length} tickets, workspace ${track.workspace})`);
  return 0;
}

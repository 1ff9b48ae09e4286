/**
 * A model client that cannot be set up from what the user gave: a script or cassette that cannot
 * be read or parsed (file, line, column), an unknown profile, a missing API key. The CLI reports
 * it as bad input (exit 2); it is never a crash.
 */
export class ModelSetupError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly profile: string | undefined;

  constructor(message: string, fields: { file?: string; line?: number; column?: number; profile?: string; cause?: unknown } = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'ModelSetupError';
    this.file = fields.file;
    this.line = fields.line;
    this.column = fields.column;
    this.profile = fields.profile;
  }
}

import type { ExecutionMode, TrustOverride } from './config.js';

/** A track file the "New run" dialog may start: from the workspace or the demo folder. */
export interface TrackFileEntry {
  /** What startRun takes: the path relative to the server's folder (its cwd). */
  path: string;
  /** The track's id and title, read from the file (a file that does not parse is listed with its error). */
  id: string | null;
  title: string | null;
  tickets: number;
  source: 'workspace' | 'demo';
  error?: string;
}

export interface TrackFileList {
  files: TrackFileEntry[];
}

export interface StartRunParams {
  track: string;
  mode: ExecutionMode;
  trust: TrustOverride;
}

/** A new run begun from a request, on the workspace of the run served: planned, approved, then run. */
export interface StartRequestParams {
  request: string;
  mode: ExecutionMode;
  trust: TrustOverride;
}

/** One human edit of a ticket, from the journal (every one, the view keeps only the recent ones). */
export interface EditEntry {
  /** The journal row's seq. */
  seq: number;
  attempt: number;
  at: number;
  kind: 'edit_payload' | 'edit_message' | 'edit_result';
  accepted: boolean;
  tool_use_id?: string;
  original: unknown;
  replacement: unknown;
  reason?: string;
}

/** One run of the store, as the Runs tab lists it. */
export interface RunListEntry {
  id: string;
  /** The track's id and title. */
  track: string;
  title: string;
  /** interrupted: left running by a process that is gone (or by a switch to another run); resume it. */
  status: 'running' | 'interrupted' | 'done' | 'stalled';
  completed: number;
  total: number;
  /** Epoch ms. */
  created: number;
  /** Last activity (the last commit), epoch ms. */
  updated: number;
}

/** The runs of the store, newest first, and which one this server has open. */
export interface RunList {
  current: string;
  runs: RunListEntry[];
}

export type TicketStatus = 'pending' | 'running' | 'blocked' | 'step_paused' | 'completed';
export const ticketStatuses: readonly TicketStatus[] = ['pending', 'running', 'blocked', 'step_paused', 'completed'];

export interface Ticket {
  id: string;
  target_file: string;
  prompt: string;
  worker_archetype: string;
  status: TicketStatus;
  dependencies: string[];
  blocked_reason?: string;
  attempts?: number;
  summary?: string;
  skipped?: boolean;
}

export interface Track {
  id: string;
  title: string;
  description: string;
  status: 'pending' | 'running' | 'done' | 'stalled';
  tickets: Ticket[];
  /** Absolute path of the track file, for messages. */
  source?: string;
}

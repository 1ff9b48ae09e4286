export { RunStore, processAlive, type OpenOptions } from './run-store.js';
export { RunLog, type FinishedSnapshots, type JournalRow, type Progress } from './run-log.js';
export type { CommandProcess, NewRun, RunRecord, RunSummary, StoredRunOptions, ToolCallKey, ToolCallRecord, ToolEffect } from './run-record.js';
export { StoreError } from './store-error.js';
export { TicketOriginals, type Original } from './ticket-originals.js';

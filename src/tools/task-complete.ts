import { toolInputSchemas, type ToolInput, type ToolPreview } from '../protocol/index.js';
import type { Tool } from './tool.js';
import { toolOk } from './files.js';

type Input = ToolInput<'task_complete'>;

/**
 * Ends the task. The tool only echoes the summary: the worker statechart sees the call and moves
 * to completed itself, so ending a task stays a state transition and not a side effect.
 */
export const taskCompleteTool: Tool<Input> = {
  name: 'task_complete',
  description:
    'Call this once the ticket is done (and checked), with a short summary of what was changed ' +
    'and how it was verified. Nothing runs after it.',
  inputSchema: toolInputSchemas.task_complete,

  async preview(input): Promise<ToolPreview> {
    return { kind: 'text', text: input.summary };
  },

  async execute(input) {
    return toolOk(input.summary);
  },
};

import { z } from 'zod';

/** Anthropic Messages API content blocks: the one transcript format of Clutch. */
export const textBlockSchema = z.strictObject({
  type: z.literal('text'),
  text: z.string(),
});

export const toolUseBlockSchema = z.strictObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});

export const toolResultBlockSchema = z.strictObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.string(),
  is_error: z.boolean().optional(),
});

export const assistantMessageSchema = z.strictObject({
  role: z.literal('assistant'),
  content: z.array(z.discriminatedUnion('type', [textBlockSchema, toolUseBlockSchema])),
});

export const userMessageSchema = z.strictObject({
  role: z.literal('user'),
  content: z.union([
    z.string(),
    z.array(z.discriminatedUnion('type', [textBlockSchema, toolResultBlockSchema])),
  ]),
});

export const modelMessageSchema = z.union([assistantMessageSchema, userMessageSchema]);

export type TextBlock = z.infer<typeof textBlockSchema>;
export type ToolUseBlock = z.infer<typeof toolUseBlockSchema>;
export type ToolResultBlock = z.infer<typeof toolResultBlockSchema>;
export type AssistantMessage = z.infer<typeof assistantMessageSchema>;
export type UserMessage = z.infer<typeof userMessageSchema>;
export type ModelMessage = z.infer<typeof modelMessageSchema>;

/** Why a model turn ended, as the Messages API names it (plus Clutch's own scripted end). */
export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal' | 'stop_sequence' | 'pause_turn';

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
}

/** A streamed piece of a model reply, for live rendering only; the final message is authoritative. */
export type ModelDelta =
  | { type: 'text'; index: number; text: string }
  | { type: 'tool_input'; index: number; id: string; name: string; partial_json: string };

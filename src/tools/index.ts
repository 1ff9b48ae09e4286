export type { Tool, ToolContext } from './tool.js';
export { tools, toolSpecs, executeTool, previewTool, formatIssues, sideEffectTools, plannedEffect } from './registry.js';
export { fileSha256, removeStrayTempFiles } from './files.js';
export {
  resolveInWorkspace,
  workspaceRelative,
  isInside,
  type ResolveResult,
  type ResolveOptions,
} from './sandbox.js';
export { commandEnvironment, commandPath, refuseProgram, resolveProgram } from './command-policy.js';
export { sandboxStatus, forgetSandboxProbes, type SandboxStatus } from './command-sandbox.js';
export { describeLimits, limitsMechanism } from './command-limits.js';
export { HeadTailBuffer, truncateHeadTail, truncationMarker } from './output.js';
export { readFileTool } from './read-file.js';
export { readSkeletonTool, skeletonsFor, SKELETONS_MAX_BYTES } from './read-skeleton.js';
export { skeletonOf, skeletonExtensions, type SkeletonResult } from './skeleton.js';
export { listFilesTool } from './list-files.js';
export { searchFilesTool } from './search-files.js';
export { writeFileTool } from './write-file.js';
export { editFileTool } from './edit-file.js';
export { runCommandTool } from './run-command.js';
export { taskCompleteTool } from './task-complete.js';
export { proposeTrackTool, reviseTrackTool, approveChangeTool, requestChangesTool } from './plan-tools.js';

export * from './messages.js';
export * from './tool-inputs.js';
export * from './config.js';
export * from './track.js';
export * from './wire.js';
export * from './usage.js';
export * from './error-text.js';
export * from './workbench.js';

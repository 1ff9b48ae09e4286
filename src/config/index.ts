export { loadConfig, parseConfig } from './load-config.js';
export { loadTrack, parseTrack, type LoadedTrack, type TrackOptions } from './load-track.js';
export { formatIssue, formatIssues, sortIssues, type ConfigIssue, type ConfigResult } from './issues.js';
export { locate, scanToml, type Position, type SourceMap, type TomlPath } from './locate.js';

export { redact, REDACTED, secretsOf } from '../protocol/redact.js';

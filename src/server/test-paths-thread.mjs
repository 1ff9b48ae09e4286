// The "Test paths" worker thread's entry: plain JavaScript, so that Node can start it before tsx
// is registered in this thread (each worker thread has its own module loader).
import { register } from 'tsx/esm/api';

register();
await import('./test-paths-thread.ts');

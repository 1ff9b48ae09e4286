import { z } from 'zod';

// The page's Content-Security-Policy has no 'unsafe-eval': zod's startup probe for eval would be
// reported as a violation. Its own module, imported first, so it runs before any schema is built.
z.config({ jitless: true });

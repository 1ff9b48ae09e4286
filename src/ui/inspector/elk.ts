import elkModule from 'elkjs/lib/elk.bundled.js';
import type { ELK as ElkInstance } from 'elkjs/lib/elk-api.js';

// The bundled ELK runs in this thread (no worker, no fetch). It is a CommonJS module whose export
// is the class, which also carries itself as `default`: take whichever the bundler hands over.
type ElkConstructor = new () => ElkInstance;
export const ELK = ((elkModule as unknown as { default?: ElkConstructor }).default ?? elkModule) as unknown as ElkConstructor;

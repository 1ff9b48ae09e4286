import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // Fails any test during which an event went to a stopped actor (see the file).
    setupFiles: ['tests/setup/no-stopped-actor-sends.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Test files run side by side on one host: populates with jobs would pace each other through
    // the host's slots (one per core). The host-slot tests set their own.
    env: { RG_HOST_SLOTS: 'Infinity' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});

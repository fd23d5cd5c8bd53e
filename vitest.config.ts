import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // the suites spend much of their time waiting on gcc and QEMU: two workers even on two cores
    // (the default there is one) cut `npm test` from about 8 to 5.5 minutes
    maxWorkers: 2,
  },
});

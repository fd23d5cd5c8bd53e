import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // the suites spend most of their time in gcc and QEMU processes: three workers on two cores (the
    // default there is one) keep both busy until the last file ends
    maxWorkers: 3,
  },
});

/**
 * Running the built command line (`node dist/cli/main.js`) from tests. `npm test` builds first (and stops
 * when the build fails); when the build is missing or older than the sources (a test run straight through
 * vitest), the first test file to need it builds once, holding a lock so that parallel test files do not
 * build at the same time, and a failed build fails the tests instead of leaving them an older dist/.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type Result } from "execa";
import { expect } from "vitest";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MAIN = join(ROOT, "dist/cli/main.js");
export const IRIS_TRAIN = join(ROOT, "examples/iris/train.csv");
export const IRIS_TEST = join(ROOT, "examples/iris/test.csv");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  if (!existsSync(MAIN)) return true;
  const built = statSync(MAIN).mtimeMs;
  return ["src", "assembly"].some((d) => existsSync(join(ROOT, d)) && newestSource(join(ROOT, d)) > built);
}

/** Builds dist/ when it is missing or older than the sources. */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), `nn2c-test-build-${Buffer.from(ROOT).toString("hex").slice(-32)}`);
  const deadline = Date.now() + 120_000;
  while (stale()) {
    try {
      mkdirSync(lock);
    } catch {
      // another test file is building: wait for it
      if (Date.now() > deadline) throw new Error(`waited too long for the build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      if (stale()) {
        const build = await execa("npm", ["run", "build"], { cwd: ROOT, reject: false, all: true });
        // a failed build may leave an older dist/ behind: never test that one
        if (build.exitCode !== 0) throw new Error(`npm run build failed:\n${build.all}`);
        if (stale()) break;
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

export type Run = Result<{ reject: false }>;

/** Runs `nn2c args...` (with `env` added to the environment); never throws on a non-zero exit. */
export function nn2c(args: string[], cwd = ROOT, env: Record<string, string> = {}): Promise<Run> {
  return execa(process.execPath, [MAIN, ...args], {
    cwd,
    reject: false,
    env: { NO_COLOR: "1", FORCE_COLOR: "0", ...env },
  }) as Promise<Run>;
}

/** Parses stdout as the one JSON object of --json, after checking the run succeeded and stderr is empty. */
export function json<T = Record<string, unknown>>(run: Run): T {
  expect(run.stderr, "stderr").toBe("");
  expect(run.exitCode, "exit code").toBe(0);
  return JSON.parse(run.stdout) as T;
}

/**
 * Asserts bad input: exit code 2, one line on stderr (no stack trace), naming what `fragments` say (the
 * file, the line, the column, the flag), and nothing on stdout.
 */
export function expectUsageError(run: Run, ...fragments: (string | RegExp)[]): void {
  const stderr = String(run.stderr);
  expect(
    stderr.split("\n").filter((l) => /^\s+at /.test(l)),
    "stack trace lines",
  ).toEqual([]);
  expect(stderr.trimEnd().split("\n"), "stderr lines").toHaveLength(1);
  for (const f of fragments) {
    if (typeof f === "string") expect(stderr).toContain(f);
    else expect(stderr).toMatch(f);
  }
  expect(run.exitCode, `exit code (stderr: ${stderr})`).toBe(2);
  expect(run.stdout, "stdout").toBe("");
}

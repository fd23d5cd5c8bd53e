/**
 * Errors the CLI turns into one line and an exit code.
 *
 * `UsageError` is bad input (a malformed file, an impossible flag): exit code 2.
 * `JobError` means the job ran and failed (a mismatch, a failed compile): exit code 1.
 * Anything else is a bug in nn2c and is reported with its stack.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export class JobError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = "JobError";
  }
}

/** Formats a zod-style issue path the way users read it: `layers[2].activation`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

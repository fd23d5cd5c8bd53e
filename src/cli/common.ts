/**
 * What every command shares: turning errors into one line and an exit code, parsing numeric flags, and
 * printing either text or one JSON object.
 */
import { InvalidArgumentError } from "commander";
import { JobError, UsageError } from "../errors.js";
import { MAX_TENSOR_VALUES } from "../limits.js";
import { clip } from "../values.js";

/** Wraps a command's action: UsageError → exit 2, JobError → exit 1, one line on stderr, no stack. */
export function action<A extends unknown[]>(
  fn: (...args: A) => void | Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof UsageError || e instanceof JobError) {
        process.stderr.write(`nn2c: ${e.message}\n`);
        process.exitCode = e.exitCode;
      } else {
        process.stderr.write(`nn2c: internal error (please report): ${(e as Error).stack ?? String(e)}\n`);
        process.exitCode = 70;
      }
    }
  };
}

export function intArg(min = 1): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (!(Number.isInteger(v) && v >= min)) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return v;
  };
}

export function numberArg(check: (v: number) => boolean, expected: string): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (value.trim() === "" || !Number.isFinite(v) || !check(v))
      throw new InvalidArgumentError(`expected ${expected}`);
    return v;
  };
}

/** "8,8,1" → [8, 8, 1]: a tensor shape without the batch, 1 to 4 positive dimensions. */
export function shapeArg(value: string): number[] {
  const dims = value.split(",").map((part) => Number(part.trim()));
  if (dims.length < 1 || dims.length > 4 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(
      `expected 1 to 4 comma-separated positive integers such as 8,8,1, got '${clip(value, 40)}'`,
    );
  }
  return dims;
}

/** "32,16" → [32, 16]; "" or "none" → [] (no hidden layer). */
export function layersArg(value: string): number[] {
  if (value === "" || value === "none") return [];
  return value.split(",").map((part) => {
    const v = Number(part.trim());
    if (!(Number.isInteger(v) && v > 0)) {
      throw new InvalidArgumentError(
        `expected comma-separated positive widths such as 32,16, got '${clip(part.trim(), 40)}'`,
      );
    }
    if (v > MAX_TENSOR_VALUES)
      throw new InvalidArgumentError(
        `width ${v}: at most ${MAX_TENSOR_VALUES} values per layer (no microcontroller holds a larger one)`,
      );
    return v;
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function fmt(v: number, digits = 4): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export { UsageError };

/** The one helper for library-level bad input: a UsageError whose message is one line. */
import { expect } from "vitest";
import { UsageError } from "../src/errors.js";

/** Runs `fn`, expects it to throw a UsageError of one line, and returns the message. */
export function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as Error).message;
    expect(message, "one line").not.toContain("\n");
    return message;
  }
  throw new Error("expected a UsageError, nothing was thrown");
}

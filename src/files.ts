/**
 * Reading the files users hand in and writing outputs safely: every output goes to a temporary file in
 * the same folder and is renamed into place, so that a failure leaves nothing half-written; a file that
 * nn2c did not generate is only replaced when the user says --force.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { z } from "zod";
import { formatPath, UsageError } from "./errors.js";

/** Reads and parses a JSON file; any failure is one line naming the file. */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: cannot read ${what} (${code === "ENOENT" ? "no such file" : code})`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    // V8's message may quote the text around the error, line breaks included: keep it on one line
    throw new UsageError(`${file}: not a valid JSON ${what} (${(e as Error).message.replace(/\s+/g, " ")})`);
  }
}

/** Validates data against a zod schema; the issues, with their paths, make one line. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, file: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : "";
  throw new UsageError(`${file}: ${issues.join("; ")}${more}`);
}

/** Writes a file atomically (temporary file + rename). Errors name the file and the reason. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing to remove: the temporary file could not even be created (ENOTDIR)
    }
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? `folder ${dirname(file)} does not exist` : code === "EISDIR" ? "is a folder" : code;
    throw new UsageError(`${file}: cannot write (${why})`);
  }
}

/**
 * Checks, before any work, that an output can be written: its folder exists and it is not a folder. Refuses
 * to replace an existing file unless nn2c wrote it (`isOurs` looks at its content) or `force` is set.
 */
export function checkOverwrite(file: string, force: boolean, isOurs: (text: string) => boolean): void {
  const folder = dirname(file);
  if (!existsSync(folder)) throw new UsageError(`${file}: cannot write (folder ${folder} does not exist)`);
  if (!statSync(folder).isDirectory())
    throw new UsageError(`${file}: cannot write (${folder} is not a folder)`);
  if (!existsSync(file)) return;
  if (statSync(file).isDirectory()) throw new UsageError(`${file}: is a folder, expected a file path`);
  if (force) return;
  let ours = false;
  try {
    ours = isOurs(readFileSync(file, "utf8"));
  } catch {
    ours = false;
  }
  if (!ours) throw new UsageError(`${file}: exists and was not written by nn2c; use --force to replace it`);
}

/** True when the text is a JSON document with the given `format` field. */
export function hasJsonFormat(text: string, format: string): boolean {
  try {
    return (JSON.parse(text) as { format?: unknown }).format === format;
  } catch {
    return false;
  }
}

/**
 * JSON with two-space indentation where arrays of numbers or strings stay on one line: a model file stays
 * readable and diffable without one line per weight. Deterministic: same data, same bytes.
 */
export function stringifyJson(value: unknown): string {
  return `${format(value, "")}\n`;
}

function format(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object"))
      return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + format(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

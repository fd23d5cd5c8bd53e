/**
 * Names and literals in generated C: model names must be identifiers that cannot clash with C or with
 * the runtime; strings from data (class names) only ever appear inside escaped string literals.
 */
import { UsageError } from "../errors.js";

/** C99 and C11 keywords, and the names of standard macros a header might define. */
const RESERVED = new Set(
  (
    "auto break case char const continue default do double else enum extern float for goto if inline int long " +
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while " +
    "_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local " +
    "bool true false NULL main asm fortran errno assert offsetof"
  ).split(" "),
);

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
/** Longest name: every exported symbol (<name>_predict_float ...) stays within 63 significant characters. */
export const MAX_NAME_LENGTH = 40;

/** Checks a model name for use as a C identifier prefix; the error says what is expected. */
export function checkCName(name: string): string {
  const expected = "expected a C identifier: a letter, then letters, digits or _, and no C keyword";
  // a name with control characters is shown escaped, so that the message stays on one line
  const shown = /^[\x20-\x7e]*$/.test(name) ? `'${name}'` : JSON.stringify(name);
  if (!IDENTIFIER.test(name)) throw new UsageError(`--name ${shown}: ${expected}`);
  if (name.length > MAX_NAME_LENGTH)
    throw new UsageError(`--name ${shown}: at most ${MAX_NAME_LENGTH} characters`);
  if (RESERVED.has(name) || RESERVED.has(name.toLowerCase())) {
    throw new UsageError(`--name ${shown}: ${shown} is a C keyword or reserved name; ${expected}`);
  }
  if (/^nn($|_)/i.test(name)) {
    throw new UsageError(
      `--name ${shown}: names starting with 'nn_' belong to the nn runtime; choose another`,
    );
  }
  return name;
}

/**
 * A C string literal for any text: printable ASCII stays (with \\ and \" escaped, and ? escaped so that
 * no trigraph can form), everything else (control characters, UTF-8 bytes) becomes an octal escape.
 */
export function cString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    if (c === "\\" || c === '"' || c === "?") out += `\\${c}`;
    else if (byte >= 0x20 && byte < 0x7f) out += c;
    else out += `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}

/** Text safe inside a C block comment: no comment terminator, no line break, printable ASCII only. */
export function cComment(text: string): string {
  return text
    .replace(/[^\x20-\x7e]/g, "?")
    .replace(/\*\//g, "* /")
    .replace(/\/\*/g, "/ *");
}

/** A float constant printed losslessly for float32: 9 significant digits and an f suffix. */
export function cFloat(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new Error(`cFloat: ${v} is not finite`);
  if (Object.is(f, -0)) return "-0.0f";
  if (f === 0) return "0.0f";
  const s = f.toPrecision(9);
  // 9 integer digits print without a point, and "123456792f" is no C constant
  return /[.e]/.test(s) ? `${s}f` : `${s}.0f`;
}

/** An integer constant of a C type; INT32_MIN and 64-bit values get the forms C needs. */
export function cInt(v: number, type: "int32" | "int64" | "uint32" = "int32"): string {
  if (!Number.isSafeInteger(v)) throw new Error(`cInt: ${v} is not a safe integer`);
  if (type === "int64") return v === 0 ? "0" : `INT64_C(${v})`;
  if (type === "uint32") return `${v}u`;
  if (v === -2147483648) return "(-2147483647 - 1)";
  return String(v);
}

/**
 * Compiling C for the host (gcc or clang) and for a Cortex-M target (arm-none-eabi-gcc with the
 * board support of firmware/boards and newlib-nano for memcpy/memset), one compiler call each.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.js";
import { cachedFolder, hashOf } from "./cache.js";
import { measureSize, type SectionSizes } from "./elf.js";
import {
  BOARD_SOURCES,
  BOARDS_DIR,
  boardSources,
  type CortexTarget,
  getCortexTarget,
  largerBoard,
  linkerScript,
} from "./targets.js";
import { runTool, ToolError } from "./tools.js";

/** Preprocessor definitions: `{ N: 64, NAME: "x", FLAG: true }` → `-DN=64 -DNAME=x -DFLAG`. */
export type Defines = Readonly<Record<string, string | number | true>>;

/** One function's frame, from gcc -fstack-usage. */
export interface StackUsage {
  /** Source file as the compiler saw it. */
  file: string;
  line: number;
  function: string;
  bytes: number;
  /** "static": exactly `bytes`; "dynamic,bounded": at most `bytes`; "dynamic": unknown (alloca, VLA). */
  qualifier: "static" | "dynamic" | "dynamic,bounded";
}

export interface CompileResult {
  output: string;
  /** argv of the compiler call, compiler first. */
  command: string[];
  /** Warnings (the compiler's stderr), empty when clean. */
  warnings: string;
  /** Present when options.stackUsage was set, sorted by bytes, largest first. */
  stackUsage?: StackUsage[];
}

export interface ArmCompileResult extends CompileResult {
  target: CortexTarget["name"];
  sizes: SectionSizes;
}

export interface CompileHostOptions {
  compiler?: "gcc" | "clang";
  /** Default ["-O2", "-std=c99", "-Wall", "-Wextra"]; replaced, not extended, when given. */
  flags?: readonly string[];
  includeDirs?: readonly string[];
  defines?: Defines;
  /** Adds -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g. */
  sanitize?: boolean;
  stackUsage?: boolean;
  /** Appended last, e.g. ["-lm"]. */
  extraFlags?: readonly string[];
}

export interface CompileArmOptions {
  opt?: "-O2" | "-Os";
  defines?: Defines;
  /** Appended after every other flag, so they win: e.g. ["-Werror", "-O3"]. */
  extraFlags?: readonly string[];
  /** Link in firmware/boards (startup, semihosting, markers) and its linker script. Default true. */
  board?: boolean;
  stackUsage?: boolean;
  /** Also write a link map here (-Wl,-Map=). */
  mapFile?: string;
}

const HOST_DEFAULT_FLAGS = ["-O2", "-std=c99", "-Wall", "-Wextra"];
const SANITIZE_FLAGS = [
  "-fsanitize=address,undefined",
  "-fno-sanitize-recover=all",
  "-fno-omit-frame-pointer",
  "-g",
];

/** Compiles and links `sources` into the executable `output` with gcc or clang. */
export async function compileHost(
  sources: readonly string[],
  output: string,
  options: CompileHostOptions = {},
): Promise<CompileResult> {
  const compiler = options.compiler ?? "gcc";
  const args = [
    ...(options.flags ?? HOST_DEFAULT_FLAGS),
    ...(options.sanitize ? SANITIZE_FLAGS : []),
    ...defineFlags(options.defines),
    ...(options.includeDirs ?? []).map((d) => `-I${d}`),
    ...sources,
    ...(options.extraFlags ?? []),
    "-o",
    output,
  ];
  return compileWith(compiler, args, output, `${compiler} (host)`, options.stackUsage ?? false);
}

/**
 * Compiles and links `sources` for `target` into the ELF `output`, with the board support of
 * firmware/boards (board.h is on the include path) unless options.board is false, and measures it.
 * The board objects are compiled once per set of flags and kept in the cache folder.
 */
export async function compileArm(
  target: CortexTarget | string,
  sources: readonly string[],
  includeDirs: readonly string[],
  output: string,
  options: CompileArmOptions = {},
): Promise<ArmCompileResult> {
  const t = getCortexTarget(target);
  const board = options.board ?? true;
  const flags = [
    ...t.gccFlags,
    options.opt ?? "-O2",
    "-g",
    "-Wall",
    "-Wextra",
    "-ffunction-sections",
    "-fdata-sections",
    // Inline assembly in unified syntax on every core (GCC's default for Thumb-1 is divided).
    "-masm-syntax-unified",
    ...defineFlags(options.defines),
    ...includeDirs.map((d) => `-I${d}`),
    ...(board ? [`-I${BOARDS_DIR}`] : []),
  ];
  const extra = options.extraFlags ?? [];
  const boardDir = board ? await boardObjects(flags, extra) : undefined;
  const args = [
    ...flags,
    ...sources,
    ...(boardDir === undefined ? [] : BOARD_SOURCES.map((f) => join(boardDir, f.replace(/\.c$/, ".o")))),
    "-nostartfiles",
    "--specs=nano.specs",
    "-Wl,--gc-sections",
    ...(board ? [`-L${BOARDS_DIR}`, `-T${linkerScript(t)}`] : []),
    ...(options.mapFile === undefined ? [] : [`-Wl,-Map=${options.mapFile}`]),
    ...extra,
    "-o",
    output,
  ];
  const what = `arm-none-eabi-gcc (${t.name})`;
  const result = await compileWith("arm-none-eabi-gcc", args, output, what, options.stackUsage ?? false);
  if (result.stackUsage !== undefined && boardDir !== undefined) {
    result.stackUsage = sortStackUsage([...result.stackUsage, ...(await readStackUsage(boardDir))]);
  }
  return { ...result, target: t.name, sizes: await measureSize(output) };
}

/** Did the link fail because the program does not fit the board's memory? */
export function doesNotFit(e: unknown): e is ToolError {
  return e instanceof ToolError && /will not fit|overflow/i.test(e.stderr);
}

/**
 * compileArm on the target's own board, or, when the program does not fit it and the core has a larger
 * board (largerBoard: the Cortex-M0 on MPS2 AN385), on that one: the result says which target it used.
 */
export async function compileArmFitting(
  target: CortexTarget,
  sources: readonly string[],
  includeDirs: readonly string[],
  output: string,
  options: CompileArmOptions = {},
): Promise<{ result: ArmCompileResult; target: CortexTarget }> {
  try {
    return { result: await compileArm(target, sources, includeDirs, output, options), target };
  } catch (e) {
    const larger = largerBoard(target);
    if (!doesNotFit(e) || larger === undefined) throw e;
    return { result: await compileArm(larger, sources, includeDirs, output, options), target: larger };
  }
}

let armVersion: Promise<string> | undefined;

/** The board support compiled with `flags`: a cache folder of .o (and .su) files. */
async function boardObjects(flags: readonly string[], extra: readonly string[]): Promise<string> {
  armVersion ??= runTool("arm-none-eabi-gcc", ["-dumpfullversion"], "arm-none-eabi-gcc").then(
    (r) => r.stdout,
  );
  const version = await armVersion.catch((e: unknown) => {
    armVersion = undefined;
    throw e;
  });
  const inputs = await Promise.all(["board.h", ...BOARD_SOURCES].map((f) => readFile(join(BOARDS_DIR, f))));
  const key = hashOf(version, flags.join("\n"), extra.join("\n"), ...inputs);
  return cachedFolder(`board-${key}`, async (dir) => {
    const sources = boardSources();
    const args = [...flags, ...extra, "-fstack-usage", "-c", ...sources];
    await runTool("arm-none-eabi-gcc", args, "arm-none-eabi-gcc (board support)", { cwd: dir }).catch(
      (e: unknown) => {
        throw missingNewlib(e) ?? e;
      },
    );
  });
}

export function defineFlags(defines: Defines = {}): string[] {
  return Object.entries(defines).map(([name, value]) => {
    if (!/^[A-Za-z_]\w*$/.test(name)) throw new UsageError(`invalid macro name '${name}'`);
    return value === true ? `-D${name}` : `-D${name}=${value}`;
  });
}

async function compileWith(
  compiler: string,
  args: string[],
  output: string,
  what: string,
  stackUsage: boolean,
): Promise<CompileResult> {
  await mkdir(dirname(output), { recursive: true });
  // -fstack-usage writes one .su file per source; -dumpdir sends them to a folder of our own.
  const suDir = stackUsage ? await mkdtemp(join(tmpdir(), "nn2c-su-")) : undefined;
  const fullArgs = suDir === undefined ? args : ["-fstack-usage", "-dumpdir", `${suDir}/`, ...args];
  try {
    const { stderr } = await runTool(compiler, fullArgs, what).catch((e: unknown) => {
      throw missingNewlib(e) ?? e;
    });
    const result: CompileResult = { output, command: [compiler, ...fullArgs], warnings: stderr };
    if (suDir !== undefined) result.stackUsage = await readStackUsage(suDir);
    return result;
  } finally {
    if (suDir !== undefined) await rm(suDir, { recursive: true, force: true });
  }
}

/** arm-none-eabi-gcc without newlib fails on --specs=nano.specs: say which package is missing. */
function missingNewlib(e: unknown): UsageError | undefined {
  if (!(e instanceof ToolError) || e.command[0] !== "arm-none-eabi-gcc") return undefined;
  if (!/cannot read spec file 'nano\.specs'|cannot find -lc_nano/.test(e.stderr)) return undefined;
  return new UsageError(
    "newlib for arm-none-eabi not found: install it with 'apt-get install libnewlib-arm-none-eabi'",
  );
}

async function readStackUsage(dir: string): Promise<StackUsage[]> {
  const rows: StackUsage[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".su"))) {
    for (const line of (await readFile(join(dir, file), "utf8")).split("\n")) {
      // "path/file.c:12:5:name\t48\tstatic"
      const m = /^(.*):(\d+):\d+:([^\t]+)\t(\d+)\t(static|dynamic,bounded|dynamic)$/.exec(line);
      if (m === null) continue;
      const qualifier = m[5] as StackUsage["qualifier"];
      rows.push({ file: m[1], line: Number(m[2]), function: m[3], bytes: Number(m[4]), qualifier });
    }
  }
  return sortStackUsage(rows);
}

function sortStackUsage(rows: StackUsage[]): StackUsage[] {
  return rows.sort((a, b) => b.bytes - a.bytes || a.function.localeCompare(b.function));
}

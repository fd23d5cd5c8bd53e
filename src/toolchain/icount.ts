/**
 * Exact executed-instruction counts of a Cortex-M program under QEMU, from the qemu-icount TCG
 * plugin (firmware/tools/qemu-icount, GPL-2.0-or-later, loaded into QEMU, never linked into nn2c).
 * The plugin is built on first use into a cache folder; it needs gcc and QEMU's qemu-plugin.h,
 * which firmware/tools/qemu-icount/fetch-header.sh installs from Debian's qemu source package.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { JobError, UsageError } from "../errors.js";
import { cachedFolder, hashOf } from "./cache.js";
import { readSymbols } from "./elf.js";
import { type RunOptions, type RunResult, runQemu } from "./qemu.js";
import { type CortexTarget, getCortexTarget } from "./targets.js";
import { runTool } from "./tools.js";

export const ICOUNT_DIR = fileURLToPath(new URL("../../firmware/tools/qemu-icount", import.meta.url));
const ICOUNT_SOURCE = join(ICOUNT_DIR, "icount.c");
const FETCH_SCRIPT = "firmware/tools/qemu-icount/fetch-header.sh";

const PLUGIN_FLAGS = [
  "-shared",
  "-fPIC",
  "-O2",
  "-fvisibility=hidden",
  "-std=c11",
  "-Wall",
  "-Wextra",
  "-Werror",
];

/** Folders searched for qemu-plugin.h, after $NN2C_QEMU_PLUGIN_INCLUDE. */
const HEADER_DIRS = ["/usr/local/include", "/usr/include", "/usr/include/qemu"];

export interface Markers {
  /** Symbol of the function that opens a region (default board_mark_begin). */
  begin: string;
  /** Symbol of the function that closes a region (default board_mark_end). */
  end: string;
  /** Symbol of the byte array whose address + id the markers read (default board_mark_window). */
  window: string;
}

export const BOARD_MARKERS: Markers = {
  begin: "board_mark_begin",
  end: "board_mark_end",
  window: "board_mark_window",
};

export interface Region {
  id: number;
  /**
   * Instructions executed from the return of board_mark_begin(id) up to and including the call
   * of board_mark_end(id): the region's own instructions plus that call (2 with gcc -O2).
   */
  instructions: number;
}

export interface InstructionCount {
  /** One entry per begin/end pair, in the order the regions began (a region run twice appears twice). */
  regions: Region[];
  /** Every instruction executed, from reset to exit. */
  total: number;
  run: RunResult;
}

export type CountOptions = Omit<RunOptions, "plugin"> & { markers?: Markers };

/**
 * The folder holding qemu-plugin.h, or undefined: $NN2C_QEMU_PLUGIN_INCLUDE when it is set (and only
 * there, so that a run can be made as on a machine without the header), else the usual folders.
 */
export function findPluginHeader(): string | undefined {
  const env = process.env.NN2C_QEMU_PLUGIN_INCLUDE;
  const dirs = env === undefined || env === "" ? HEADER_DIRS : [env];
  return dirs.find((dir) => existsSync(join(dir, "qemu-plugin.h")));
}

/** Why instructions cannot be counted on this machine (one line), or undefined when they can. */
export function icountUnavailable(): string | undefined {
  if (findPluginHeader() !== undefined) return undefined;
  return `instruction counts need QEMU's qemu-plugin.h: run '${FETCH_SCRIPT}' as root (it installs it from Debian's qemu source package) or set NN2C_QEMU_PLUGIN_INCLUDE to a folder holding it`;
}

/**
 * Builds the plugin (once per source and header: the file name carries their hash) and returns
 * the path of the shared object.
 */
export async function buildIcountPlugin(): Promise<string> {
  const includeDir = findPluginHeader();
  if (includeDir === undefined) throw new UsageError(icountUnavailable() ?? "qemu-plugin.h not found");
  const header = join(includeDir, "qemu-plugin.h");
  const key = hashOf(await readFile(ICOUNT_SOURCE), await readFile(header));
  const dir = await cachedFolder(`qemu-icount-${key}`, async (partial) => {
    const args = [...PLUGIN_FLAGS, `-I${includeDir}`, ICOUNT_SOURCE, "-o", join(partial, "libicount.so")];
    await runTool("gcc", args, "building the qemu-icount plugin");
  });
  return join(dir, "libicount.so");
}

/**
 * Runs `elf` under QEMU with the plugin and returns the instruction count of each marked region
 * and of the whole run. Deterministic: the same ELF and input give the same numbers.
 */
export async function countInstructions(
  target: CortexTarget | string,
  elf: string,
  options: CountOptions = {},
): Promise<InstructionCount> {
  const t = getCortexTarget(target);
  const { markers = BOARD_MARKERS, ...runOptions } = options;
  const plugin = await buildIcountPlugin();
  const symbols = await readSymbols(elf);
  const args: Record<string, string> = {};
  const window = symbols.get(markers.window);
  const begin = symbols.get(markers.begin);
  const end = symbols.get(markers.end);
  // A program that never calls the markers loses them to --gc-sections: it gets a total only.
  if (window !== undefined && begin !== undefined && end !== undefined) {
    args.begin = hex(begin.address);
    args.end = hex(end.address);
    args.window = hex(window.address);
  }
  const work = await mkdtemp(join(tmpdir(), "nn2c-icount-"));
  try {
    args.out = join(work, "icount.txt");
    const run = await runQemu(t, elf, { ...runOptions, plugin: { path: plugin, args } });
    const text = await readFile(args.out, "utf8").catch(() => {
      throw new JobError(`${t.name}: the qemu-icount plugin wrote no results (${args.out})`);
    });
    return { ...parseIcount(text), run };
  } finally {
    if (!process.env.NN2C_KEEP_ICOUNT) await rm(work, { recursive: true, force: true });
  }
}

/** Pairs the plugin's begin/end events into regions. */
export function parseIcount(text: string): { regions: Region[]; total: number } {
  const open = new Map<number, { count: number; index: number }[]>();
  const regions: (Region & { index: number })[] = [];
  let total: number | undefined;
  let index = 0;
  for (const line of text.split("\n")) {
    const [kind, a, b] = line.trim().split(" ");
    if (kind === "" || kind === undefined) continue;
    if (kind === "total") {
      total = Number(a);
    } else if (kind === "overflow") {
      throw new JobError("the qemu-icount plugin ran out of memory for marker events");
    } else if (kind === "missed") {
      throw new JobError(
        `the qemu-icount plugin saw ${a} marker call(s) without their load: is board_mark_begin/end the one of firmware/boards/mark.c?`,
      );
    } else if (kind === "begin" || kind === "end") {
      const id = Number(a);
      const count = Number(b);
      const stack = open.get(id) ?? [];
      if (kind === "begin") {
        stack.push({ count, index: index++ });
        open.set(id, stack);
      } else {
        const started = stack.pop();
        if (started === undefined)
          throw new JobError(`board_mark_end(${id}) without board_mark_begin(${id})`);
        regions.push({ id, instructions: count - started.count, index: started.index });
      }
    } else {
      throw new JobError(`unexpected line in the qemu-icount output: '${line}'`);
    }
  }
  const unclosed = [...open.entries()].find(([, stack]) => stack.length > 0);
  if (unclosed !== undefined)
    throw new JobError(`board_mark_begin(${unclosed[0]}) was never closed by board_mark_end`);
  if (total === undefined) throw new JobError("the qemu-icount output has no total");
  regions.sort((x, y) => x.index - y.index);
  return { regions: regions.map(({ id, instructions }) => ({ id, instructions })), total };
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

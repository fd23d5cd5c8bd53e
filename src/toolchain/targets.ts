/**
 * The targets nn2c can compile for and run on: the host, and six Cortex-M cores, each on the QEMU
 * machine that models it. The memory maps repeat firmware/boards/<board>/memory.ld (a test keeps the
 * two in step) and follow QEMU 7.2's machine models (hw/arm/mps2.c, mps2-tz.c, nrf51_soc.c).
 */
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.js";

/** firmware/boards: board.h, the startup and semihosting sources, one folder of linker script per board. */
export const BOARDS_DIR = fileURLToPath(new URL("../../firmware/boards", import.meta.url));

/** The board support compiled into every Cortex-M program (relative to BOARDS_DIR). */
export const BOARD_SOURCES = ["startup.c", "semihost.c", "print.c", "mark.c"] as const;

/** Exit status of a guest that took a fault (BOARD_EXIT_FAULT in board.h). */
export const FAULT_EXIT_STATUS = 0xfa;

export interface MemoryRegion {
  /** Start address. */
  readonly origin: number;
  /** Size in bytes. */
  readonly size: number;
}

export interface HostTarget {
  readonly name: "host";
  readonly kind: "host";
  readonly description: string;
}

export interface CortexTarget {
  readonly name: CortexTargetName;
  readonly kind: "cortex-m";
  readonly description: string;
  /** Value of -mcpu. */
  readonly cpu: string;
  /** Every flag that selects the core and its ABI: -mcpu, -mthumb, -mfloat-abi, -mfpu. */
  readonly gccFlags: readonly string[];
  readonly floatAbi: "soft" | "hard";
  /** What the core has: an FPU (single precision at least), the DSP extension, MVE (Helium). */
  readonly features: { readonly fpu: boolean; readonly dsp: boolean; readonly mve: boolean };
  /** qemu-system-arm -M. */
  readonly machine: string;
  /** Folder under firmware/boards holding memory.ld. */
  readonly board: string;
  /** Code and read-only data (the vector table sits at its start). */
  readonly flash: MemoryRegion;
  /** .data, .bss and the stack. */
  readonly ram: MemoryRegion;
  /** SysTick clock of the QEMU model, for the -icount fallback. */
  readonly systickHz: number;
}

export type CortexTargetName =
  | "cortex-m0"
  | "cortex-m3"
  | "cortex-m4"
  | "cortex-m7"
  | "cortex-m33"
  | "cortex-m55";
export type TargetName = "host" | CortexTargetName;
export type Target = HostTarget | CortexTarget;

const KiB = 1024;
const MiB = 1024 * KiB;

function cortex(
  name: CortexTargetName,
  description: string,
  fpu: string | null,
  fields: Omit<CortexTarget, "name" | "kind" | "description" | "cpu" | "gccFlags" | "floatAbi">,
): CortexTarget {
  const cpu = name;
  const hard = fields.features.fpu || fields.features.mve;
  const gccFlags = [`-mcpu=${cpu}`, "-mthumb", `-mfloat-abi=${hard ? "hard" : "soft"}`];
  if (fpu !== null) gccFlags.push(`-mfpu=${fpu}`);
  return { name, kind: "cortex-m", description, cpu, gccFlags, floatAbi: hard ? "hard" : "soft", ...fields };
}

export const TARGETS: Readonly<Record<TargetName, Target>> = {
  host: { name: "host", kind: "host", description: "this machine, through gcc or clang" },
  "cortex-m0": cortex("cortex-m0", "Cortex-M0 (ARMv6-M), BBC micro:bit", null, {
    features: { fpu: false, dsp: false, mve: false },
    machine: "microbit",
    board: "microbit",
    flash: { origin: 0x0000_0000, size: 256 * KiB },
    ram: { origin: 0x2000_0000, size: 16 * KiB },
    systickHz: 16_000_000,
  }),
  "cortex-m3": cortex("cortex-m3", "Cortex-M3 (ARMv7-M), MPS2 AN385", null, {
    features: { fpu: false, dsp: false, mve: false },
    machine: "mps2-an385",
    board: "mps2-an385",
    flash: { origin: 0x0000_0000, size: 4 * MiB },
    ram: { origin: 0x2000_0000, size: 4 * MiB },
    systickHz: 25_000_000,
  }),
  "cortex-m4": cortex("cortex-m4", "Cortex-M4F (ARMv7E-M, DSP, FPv4-SP), MPS2 AN386", "fpv4-sp-d16", {
    features: { fpu: true, dsp: true, mve: false },
    machine: "mps2-an386",
    board: "mps2-an386",
    flash: { origin: 0x0000_0000, size: 4 * MiB },
    ram: { origin: 0x2000_0000, size: 4 * MiB },
    systickHz: 25_000_000,
  }),
  "cortex-m7": cortex("cortex-m7", "Cortex-M7 (ARMv7E-M, DSP, FPv5-D16), MPS2 AN500", "fpv5-d16", {
    features: { fpu: true, dsp: true, mve: false },
    machine: "mps2-an500",
    board: "mps2-an500",
    flash: { origin: 0x0000_0000, size: 4 * MiB },
    ram: { origin: 0x2000_0000, size: 4 * MiB },
    systickHz: 25_000_000,
  }),
  "cortex-m33": cortex(
    "cortex-m33",
    "Cortex-M33 (ARMv8-M Mainline, DSP, FPv5-SP), MPS2 AN505",
    "fpv5-sp-d16",
    {
      features: { fpu: true, dsp: true, mve: false },
      machine: "mps2-an505",
      board: "mps2-an505",
      flash: { origin: 0x1000_0000, size: 4 * MiB },
      ram: { origin: 0x3800_0000, size: 4 * MiB },
      systickHz: 20_000_000,
    },
  ),
  "cortex-m55": cortex("cortex-m55", "Cortex-M55 (ARMv8.1-M, DSP, FPU, MVE), MPS3 AN547", null, {
    features: { fpu: true, dsp: true, mve: true },
    machine: "mps3-an547",
    board: "mps3-an547",
    flash: { origin: 0x1000_0000, size: 512 * KiB },
    ram: { origin: 0x3000_0000, size: 512 * KiB },
    systickHz: 32_000_000,
  }),
};

/**
 * Where a program too large for a core's own board runs instead: the Cortex-M0's ARMv6-M code on MPS2
 * AN385 (4 MB of flash and of RAM), whose Cortex-M3 executes the same instructions (ARMv6-M is a subset
 * of ARMv7-M), so instruction counts are those of the M0 build. Not modelled there: the M0's fault on an
 * unaligned access, which nn2c's kernels never make (they read words only at aligned offsets).
 */
const LARGER_BOARDS: Partial<Record<CortexTargetName, CortexTarget>> = {
  "cortex-m0": {
    ...(TARGETS["cortex-m0"] as CortexTarget),
    description: "Cortex-M0 code (ARMv6-M) on MPS2 AN385, whose Cortex-M3 runs it",
    machine: "mps2-an385",
    board: "mps2-an385",
    flash: { origin: 0x0000_0000, size: 4 * MiB },
    ram: { origin: 0x2000_0000, size: 4 * MiB },
    systickHz: 25_000_000,
  },
};

/** The board a core's programs run on when its own is too small (the M0 only), or undefined. */
export function largerBoard(t: CortexTarget): CortexTarget | undefined {
  const larger = LARGER_BOARDS[t.name];
  return larger && larger.machine !== t.machine ? larger : undefined;
}

export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];
export const CORTEX_TARGET_NAMES = TARGET_NAMES.filter((n): n is CortexTargetName => n !== "host");

/** The target called `name`; a UsageError listing the valid names otherwise. */
export function getTarget(name: string): Target {
  if (Object.hasOwn(TARGETS, name)) return TARGETS[name as TargetName];
  throw new UsageError(`unknown target '${name}': expected one of ${TARGET_NAMES.join(", ")}`);
}

/** Like getTarget, for the commands that need a Cortex-M core (a Target object passes through). */
export function getCortexTarget(target: string | CortexTarget): CortexTarget {
  if (typeof target !== "string") return target;
  const t = getTarget(target);
  if (t.kind !== "cortex-m") {
    throw new UsageError(
      `target '${target}' is not a Cortex-M core: expected one of ${CORTEX_TARGET_NAMES.join(", ")}`,
    );
  }
  return t;
}

/** Absolute path of the target's linker script. */
export function linkerScript(target: CortexTarget): string {
  return `${BOARDS_DIR}/${target.board}/memory.ld`;
}

/** Absolute paths of the board support sources. */
export function boardSources(): string[] {
  return BOARD_SOURCES.map((file) => `${BOARDS_DIR}/${file}`);
}

/**
 * Target names from the command line: comma-separated or repeated, `all` meaning every Cortex-M core;
 * without `allowHost`, only Cortex-M cores. Duplicates are dropped; an unknown name is a UsageError.
 */
export function parseTargets(list: readonly string[], options: { allowHost: boolean }): TargetName[] {
  const valid: string[] = options.allowHost ? TARGET_NAMES : CORTEX_TARGET_NAMES;
  const out: TargetName[] = [];
  for (const item of list.flatMap((t) => t.split(","))) {
    const t = item.trim();
    if (t === "all") out.push(...CORTEX_TARGET_NAMES);
    else if (valid.includes(t)) out.push(t as TargetName);
    else throw new UsageError(`unknown target '${t}': expected one of ${valid.join(", ")}, or all`);
  }
  return [...new Set(out)];
}

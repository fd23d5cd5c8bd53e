/**
 * Which external tools this machine has, for skipping tests that need a missing one. A skip is
 * never silent: the suite's name says what to install and a warning is printed once.
 */
import { execa } from "execa";
import { findPluginHeader } from "../../src/toolchain/icount.js";

async function runs(tool: string, args: string[]): Promise<string | undefined> {
  const r = await execa(tool, args, { reject: false, stdin: "ignore" });
  return r.failed ? undefined : String(r.stdout).trim();
}

async function hasNewlib(): Promise<boolean> {
  const path = await runs("arm-none-eabi-gcc", ["-print-file-name=nano.specs"]);
  return path?.startsWith("/") ?? false;
}

export interface Requirement {
  /** Empty when everything needed is there; else what to install. */
  missing: string[];
  /** Suite-name suffix: "" or " (skipped: install ...)". */
  note: string;
}

const HEADER = "qemu-plugin.h (run firmware/tools/qemu-icount/fetch-header.sh as root)";

export type Need =
  | "gcc"
  | "clang"
  | "gcc-arm-none-eabi"
  | "libnewlib-arm-none-eabi"
  | "qemu-system-arm"
  | typeof HEADER;

const checks: Record<Need, () => Promise<boolean>> = {
  gcc: async () => (await runs("gcc", ["--version"])) !== undefined,
  clang: async () => (await runs("clang", ["--version"])) !== undefined,
  "gcc-arm-none-eabi": async () => (await runs("arm-none-eabi-gcc", ["--version"])) !== undefined,
  "libnewlib-arm-none-eabi": hasNewlib,
  "qemu-system-arm": async () => (await runs("qemu-system-arm", ["--version"])) !== undefined,
  [HEADER]: async () => findPluginHeader() !== undefined,
};

/** Checks the named packages; warns once on stderr when some are missing. */
export async function requireTools(suite: string, needs: Need[]): Promise<Requirement> {
  const missing: string[] = [];
  for (const need of needs) if (!(await checks[need]())) missing.push(need);
  if (missing.length === 0) return { missing, note: "" };
  const note = ` (skipped: install ${missing.join(", ")})`;
  console.warn(`test/toolchain ${suite}${note}`);
  return { missing, note };
}

export const ARM: Need[] = ["gcc-arm-none-eabi", "libnewlib-arm-none-eabi"];
export const QEMU: Need[] = [...ARM, "qemu-system-arm"];
export const ICOUNT: Need[] = [...QEMU, "gcc", HEADER];

/**
 * Which external tools this machine has, for skipping tests that need a missing one: the one place the
 * tests detect tools. A skip is never silent: the suite's name says what to install and a warning is
 * printed once.
 */
import { DEBIAN_PYTHON } from "../../scripts/pytorch-clients.js";
import { findPluginHeader } from "../../src/toolchain/icount.js";
import { toolRuns } from "../../src/toolchain/tools.js";

export interface Requirement {
  /** Empty when everything needed is there; else what to install. */
  missing: string[];
  /** Suite-name suffix: "" or " (skipped: install ...)". */
  note: string;
}

export { DEBIAN_PYTHON };

const HEADER = "qemu-plugin.h (run firmware/tools/qemu-icount/fetch-header.sh as root)";

export type Need =
  | "gcc"
  | "clang"
  | "cmake"
  | "make"
  | "gcc-arm-none-eabi"
  | "libnewlib-arm-none-eabi"
  | "qemu-system-arm"
  | "python3-torch"
  | typeof HEADER;

async function hasNewlib(): Promise<boolean> {
  // arm-none-eabi-gcc prints the bare name when it cannot find the file
  return toolRuns("sh", [
    "-c",
    "case $(arm-none-eabi-gcc -print-file-name=nano.specs) in /*) ;; *) exit 1;; esac",
  ]);
}

const checks: Record<Need, () => Promise<boolean>> = {
  gcc: () => toolRuns("gcc"),
  clang: () => toolRuns("clang"),
  cmake: () => toolRuns("cmake"),
  make: () => toolRuns("make"),
  "gcc-arm-none-eabi": () => toolRuns("arm-none-eabi-gcc"),
  "libnewlib-arm-none-eabi": hasNewlib,
  "qemu-system-arm": () => toolRuns("qemu-system-arm"),
  "python3-torch": () => toolRuns(DEBIAN_PYTHON, ["-c", "import torch.onnx"]),
  [HEADER]: async () => findPluginHeader() !== undefined,
};

const known = new Map<Need, Promise<boolean>>();

/** Checks the named packages (each once per test file); warns once on stderr when some are missing. */
export async function requireTools(suite: string, needs: Need[]): Promise<Requirement> {
  const missing: string[] = [];
  for (const need of needs) {
    if (!known.has(need)) known.set(need, checks[need]());
    if (!(await known.get(need))) missing.push(need);
  }
  if (missing.length === 0) return { missing, note: "" };
  const note = ` (skipped: install ${missing.join(", ")})`;
  console.warn(`${suite}${note}`);
  return { missing, note };
}

export const ARM: Need[] = ["gcc-arm-none-eabi", "libnewlib-arm-none-eabi"];
export const QEMU: Need[] = [...ARM, "qemu-system-arm"];
export const ICOUNT: Need[] = [...QEMU, "gcc", HEADER];

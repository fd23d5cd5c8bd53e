/** The target table: names, flags, lookup errors, and agreement with the boards' linker scripts. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import {
  CORTEX_TARGET_NAMES,
  getCortexTarget,
  getTarget,
  linkerScript,
  TARGET_NAMES,
  TARGETS,
} from "../../src/toolchain/targets.js";

function memoryLd(path: string): Record<string, { origin: number; size: number }> {
  const regions: Record<string, { origin: number; size: number }> = {};
  const text = readFileSync(path, "utf8");
  for (const m of text.matchAll(
    /(\w+)\s*\([a-z]+\)\s*:\s*ORIGIN\s*=\s*(0x[0-9a-f]+),\s*LENGTH\s*=\s*(\d+)([KM])/gi,
  )) {
    regions[m[1]] = { origin: Number(m[2]), size: Number(m[3]) * (m[4] === "K" ? 1024 : 1024 * 1024) };
  }
  return regions;
}

describe("targets", () => {
  it("lists the host and six Cortex-M cores", () => {
    expect(TARGET_NAMES).toEqual([
      "host",
      "cortex-m0",
      "cortex-m3",
      "cortex-m4",
      "cortex-m7",
      "cortex-m33",
      "cortex-m55",
    ]);
    expect(CORTEX_TARGET_NAMES).not.toContain("host");
  });

  it.each(CORTEX_TARGET_NAMES)("%s: memory.ld agrees with the table", (name) => {
    const t = getCortexTarget(name);
    const ld = memoryLd(linkerScript(t));
    expect(ld.FLASH).toEqual(t.flash);
    expect(ld.RAM).toEqual(t.ram);
  });

  it("gives each core its GCC flags", () => {
    expect(getCortexTarget("cortex-m0").gccFlags).toEqual(["-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft"]);
    expect(getCortexTarget("cortex-m4").gccFlags).toEqual([
      "-mcpu=cortex-m4",
      "-mthumb",
      "-mfloat-abi=hard",
      "-mfpu=fpv4-sp-d16",
    ]);
    expect(getCortexTarget("cortex-m7").gccFlags).toContain("-mfpu=fpv5-d16");
    expect(getCortexTarget("cortex-m33").gccFlags).toContain("-mfpu=fpv5-sp-d16");
    expect(getCortexTarget("cortex-m55").gccFlags).toEqual([
      "-mcpu=cortex-m55",
      "-mthumb",
      "-mfloat-abi=hard",
    ]);
  });

  it("puts M33 and M55 code at the Secure alias and gives the M0 16 KiB of RAM", () => {
    expect(getCortexTarget("cortex-m33").flash.origin).toBe(0x1000_0000);
    expect(getCortexTarget("cortex-m55").flash.origin).toBe(0x1000_0000);
    expect(getCortexTarget("cortex-m0")).toMatchObject({ machine: "microbit", ram: { size: 16 * 1024 } });
  });

  it("rejects an unknown name with a UsageError listing the valid ones", () => {
    expect(() => getTarget("cortex-m85")).toThrow(UsageError);
    expect(() => getTarget("cortex-m85")).toThrow(
      "unknown target 'cortex-m85': expected one of host, cortex-m0, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55",
    );
    expect(() => getTarget("toString")).toThrow(UsageError);
  });

  it("rejects the host where a Cortex-M core is needed", () => {
    expect(() => getCortexTarget("host")).toThrow(/not a Cortex-M core: expected one of cortex-m0/);
    expect(getTarget("host")).toBe(TARGETS.host);
  });
});

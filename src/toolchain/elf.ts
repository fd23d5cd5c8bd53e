/** Reading a linked ELF: section sizes (arm-none-eabi-size) and symbol addresses (arm-none-eabi-nm). */
import { JobError } from "../errors.js";
import { runTool } from "./tools.js";

/** Berkeley sizes: text = flash (code, constants), data = flash and RAM, bss = RAM. */
export interface SectionSizes {
  text: number;
  data: number;
  bss: number;
  /** text + data. */
  flash: number;
  /** data + bss, without the stack. */
  ram: number;
}

export interface ElfSymbol {
  /** Address, with the Thumb bit of a function cleared. */
  address: number;
  /** Size in bytes (0 when the symbol has none, as for linker-script symbols). */
  size: number;
  /** nm's type letter: T text, D data, B bss, R read-only, A absolute... */
  type: string;
}

export async function measureSize(elf: string): Promise<SectionSizes> {
  const { stdout } = await runTool("arm-none-eabi-size", ["-B", elf], "arm-none-eabi-size");
  const row = stdout.trim().split("\n")[1]?.trim().split(/\s+/);
  const [text, data, bss] = (row ?? []).slice(0, 3).map(Number);
  if (![text, data, bss].every(Number.isInteger)) {
    throw new JobError(`cannot read the output of arm-none-eabi-size ${elf}: ${stdout.trim()}`);
  }
  return { text, data, bss, flash: text + data, ram: data + bss };
}

/** Every symbol with an address, by name (the first definition wins). */
export async function readSymbols(elf: string): Promise<Map<string, ElfSymbol>> {
  const { stdout } = await runTool("arm-none-eabi-nm", ["-S", elf], "arm-none-eabi-nm");
  const symbols = new Map<string, ElfSymbol>();
  for (const line of stdout.split("\n")) {
    // "address [size] type name"
    const m = /^([0-9a-f]+)(?:\s+([0-9a-f]+))?\s+(\w)\s+(\S+)$/i.exec(line.trim());
    if (m === null || symbols.has(m[4])) continue;
    const type = m[3];
    const address = Number.parseInt(m[1], 16);
    symbols.set(m[4], {
      address: /^[tTwW]$/.test(type) ? address & ~1 : address,
      size: m[2] === undefined ? 0 : Number.parseInt(m[2], 16),
      type,
    });
  }
  return symbols;
}

export interface ElfSymbolEntry {
  name: string;
  address: number;
  size: number;
  kind: "function" | "object" | "other";
  /** the source file of a local (static) symbol, from the symbol table's FILE entries */
  file?: string;
  local: boolean;
}

/** Every defined symbol with its kind (function or data object), from arm-none-eabi-readelf. */
export async function readSymbolTable(elf: string): Promise<ElfSymbolEntry[]> {
  const { stdout } = await runTool("arm-none-eabi-readelf", ["-sW", elf], "arm-none-eabi-readelf");
  const out: ElfSymbolEntry[] = [];
  let file: string | undefined;
  for (const line of stdout.split("\n")) {
    // "Num: Value Size Type Bind Vis Ndx Name"
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s+(\S+)$/i.exec(line);
    if (m === null) continue;
    if (m[3] === "FILE") {
      file = m[6];
      continue;
    }
    if (m[5] === "UND") continue;
    const kind = m[3] === "FUNC" ? "function" : m[3] === "OBJECT" ? "object" : "other";
    const local = m[4] === "LOCAL";
    out.push({
      name: m[6],
      address: Number.parseInt(m[1], 16),
      size: Number(m[2]),
      kind,
      local,
      file: local ? file : undefined,
    });
  }
  return out;
}

/**
 * Makes the fixed train/test splits the examples and benchmarks use: 80/20, stratified by class, seed 0.
 * Run once with `npx tsx examples/make-splits.ts`; the split files are committed so that everyone uses the
 * same rows.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { loadDataset, splitIndices } from "../src/data/dataset.js";

for (const name of ["iris", "digits"]) {
  const file = new URL(`./${name}/${name}.csv`, import.meta.url).pathname;
  const ds = loadDataset(file);
  const { keep, held } = splitIndices(ds, 0.2, 0);
  const lines = readFileSync(file, "utf8").trimEnd().split(/\r?\n/);
  const write = (part: string, rows: number[]) =>
    writeFileSync(
      new URL(`./${name}/${part}.csv`, import.meta.url),
      `${[lines[0], ...rows.map((r) => lines[r + 1])].join("\n")}\n`,
    );
  write("train", keep);
  write("test", held);
  console.log(`${name}: ${keep.length} train rows, ${held.length} test rows`);
}

/**
 * Makes examples/sine/sine.csv: 1000 points (x, y = sin(x)) with x uniform on [0, 2π], seed 0, and
 * sine-test.csv: 200 more with seed 1. Run with `npx tsx examples/sine/make-data.ts`.
 */
import { writeFileSync } from "node:fs";
import { Rng } from "../../src/rng.js";

function points(n: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ["x,y"];
  for (let k = 0; k < n; k++) {
    const x = Math.fround(rng.uniform(0, 2 * Math.PI));
    lines.push(`${x.toPrecision(9)},${Math.sin(x).toPrecision(9)}`);
  }
  return `${lines.join("\n")}\n`;
}

writeFileSync(new URL("./sine.csv", import.meta.url), points(1000, 0));
writeFileSync(new URL("./sine-test.csv", import.meta.url), points(200, 1));

/**
 * `npm run bench:luts`: the error of nn2c's activation tables over every input code, against double
 * precision: int16 sigmoid and tanh (interpolated, at most 1 KB) at several input scales, and int8
 * tables (256 entries). `--json` prints one object.
 */
import { buildTableS8, buildTableS16, measureTableError } from "../src/quant/lut.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const functions = {
  sigmoid: { f: sigmoid, centre: 0.5 },
  tanh: { f: Math.tanh, centre: 0 },
};
const scales: [string, number][] = [
  ["2^-15", 2 ** -15],
  ["2^-12 (Q3.12)", 2 ** -12],
  ["2^-8", 2 ** -8],
  ["2^-4", 2 ** -4],
  ["0.00037", 0.00037],
  ["0.0123", 0.0123],
  ["0.7", 0.7],
];

const rows: {
  precision: string;
  activation: string;
  inputScale: string;
  entries: number;
  bytes: number;
  maxErrorLsb: number;
  meanErrorLsb: number;
}[] = [];
for (const [name, { f, centre }] of Object.entries(functions)) {
  for (const [label, scale] of scales) {
    const inQ = { scale, zeroPoint: 0 };
    const outQ = { scale: 1 / 32768, zeroPoint: 0 };
    const t = buildTableS16(f, inQ, outQ, { symmetry: { centre } });
    rows.push({ precision: "int16", activation: name, inputScale: label, ...measureTableError(t, f) });
  }
  const outQ8 = name === "sigmoid" ? { scale: 1 / 256, zeroPoint: -128 } : { scale: 1 / 128, zeroPoint: 0 };
  for (const [label, scale] of [
    ["1/16", 1 / 16],
    ["0.05", 0.05],
  ] as [string, number][]) {
    const inQ = { scale, zeroPoint: 0 };
    rows.push({
      precision: "int8",
      activation: name,
      inputScale: label,
      ...measureTableError(buildTableS8(f, inQ, outQ8), f),
    });
  }
}
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ luts: rows }, null, 2));
} else {
  console.log("precision  activation  input scale     entries  bytes  max LSB  mean LSB");
  for (const r of rows) {
    console.log(
      `${r.precision.padEnd(10)} ${r.activation.padEnd(11)} ${r.inputScale.padEnd(15)} ${String(r.entries).padStart(7)} ${String(r.bytes).padStart(6)}  ${r.maxErrorLsb.toFixed(3).padStart(7)}  ${r.meanErrorLsb.toFixed(3).padStart(8)}`,
    );
  }
}

/**
 * Training curves, for people who would rather look than read: an ASCII chart for the terminal and a
 * self-contained SVG file (loss and metric per epoch, training and validation).
 */
import * as asciichart from "asciichart";
import { GENERATED_MARK } from "../files.js";

export interface CurveOptions {
  /** ANSI colours (only on a terminal) */
  color?: boolean;
  height?: number;
  width?: number;
}

/** Resamples a series to at most `width` points (by averaging buckets) so that the chart fits a terminal. */
function resample(series: number[], width: number): number[] {
  if (series.length <= width) return series;
  const out: number[] = [];
  for (let k = 0; k < width; k++) {
    const a = Math.floor((k * series.length) / width);
    const b = Math.max(a + 1, Math.floor(((k + 1) * series.length) / width));
    let s = 0;
    for (let j = a; j < b; j++) s += series[j];
    out.push(s / (b - a));
  }
  return out;
}

/** One ASCII chart per quantity (loss, then the metric), training and validation overlaid. */
export function asciiCurves(history: Record<string, number[]>, options: CurveOptions = {}): string {
  const width = options.width ?? 60;
  const height = options.height ?? 8;
  const parts: string[] = [];
  for (const key of Object.keys(history).filter((k) => !k.startsWith("val_"))) {
    const series = [resample(history[key], width)];
    const val = history[`val_${key}`];
    if (val) series.push(resample(val, width));
    const colors = options.color ? [asciichart.blue, asciichart.yellow] : undefined;
    const last = (s: number[]) => s[s.length - 1].toPrecision(4);
    const legend = val
      ? `${key}: training${options.color ? " (blue)" : ""} ends at ${last(history[key])}, ` +
        `validation${options.color ? " (yellow)" : ""} at ${last(val)}`
      : `${key}: ends at ${last(history[key])}`;
    const chart = asciichart.plot(series, {
      height,
      colors,
      format: (v: number) => v.toPrecision(3).padStart(9),
    });
    parts.push(`${legend}, per epoch (${history[key].length} epochs)\n${chart}`);
  }
  return parts.join("\n\n");
}

const PALETTE = { train: "#1f77b4", val: "#ff7f0e" };

/** An SVG document with one panel per quantity; deterministic for the same history. */
export function svgCurves(history: Record<string, number[]>, title: string): string {
  const keys = Object.keys(history).filter((k) => !k.startsWith("val_"));
  const W = 640;
  const H = 260;
  const m = { left: 64, right: 20, top: 36, bottom: 40 };
  const panels = keys.map((key, p) => {
    const series: [string, number[]][] = [["train", history[key]]];
    if (history[`val_${key}`]) series.push(["val", history[`val_${key}`]]);
    const all = series.flatMap(([, s]) => s);
    let lo = all.reduce((a, b) => Math.min(a, b));
    let hi = all.reduce((a, b) => Math.max(a, b));
    if (hi - lo < 1e-12) {
      lo -= 0.5;
      hi += 0.5;
    }
    const n = Math.max(2, history[key].length);
    const x = (i: number) => m.left + (i / (n - 1)) * (W - m.left - m.right);
    const y = (v: number) => m.top + (1 - (v - lo) / (hi - lo)) * (H - m.top - m.bottom);
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => lo + t * (hi - lo));
    const grid = ticks
      .map(
        (v) =>
          `<line x1="${m.left}" x2="${W - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>` +
          `<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toPrecision(3)}</text>`,
      )
      .join("");
    const lines = series
      .map(([name, s]) => {
        const pts = s.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
        return `<polyline fill="none" stroke="${PALETTE[name as "train" | "val"]}" stroke-width="2" points="${pts}"/>`;
      })
      .join("");
    const legend = series
      .map(
        ([name], i) =>
          `<rect x="${W - 190 + i * 90}" y="12" width="12" height="12" fill="${PALETTE[name as "train" | "val"]}"/>` +
          `<text x="${W - 174 + i * 90}" y="22">${name === "train" ? "training" : "validation"}</text>`,
      )
      .join("");
    return (
      `<g transform="translate(0,${p * H})"><text x="${m.left}" y="22" font-weight="bold">${escapeXml(key)}</text>` +
      `${legend}${grid}${lines}` +
      `<text x="${(W / 2).toFixed(0)}" y="${H - 8}" text-anchor="middle">epoch (1 to ${history[key].length})</text></g>`
    );
  });
  return (
    `<!-- ${GENERATED_MARK}: training curves -->\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * keys.length + 30}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${W / 2}" y="${H * keys.length + 20}" text-anchor="middle" fill="#555">${escapeXml(title)}</text>` +
    `${panels.join("")}</svg>\n`
  );
}

/** A training-curves SVG nn2c wrote (with or without the mark older versions lacked). */
export function isSvgReport(text: string): boolean {
  return text.includes("<svg") && text.includes("epoch (");
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

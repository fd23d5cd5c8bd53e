/**
 * Makes examples/motion/train.csv (30 recordings per class, seed 1) and test.csv (10 per class, seed 2):
 * synthetic 3-axis accelerometer recordings of a device held in a hand, for continuous motion recognition.
 * Run with `npx tsx examples/motion/make-data.ts`; the same seeds give byte-identical files.
 *
 * Format: header `recording,ax,ay,az,label`, one row per sample at 50 Hz. `recording` counts 0, 1, 2, ...
 * within each file and its rows are consecutive; each recording is 8 s (400 samples) of one class. ax, ay, az
 * are integers in milli-g (1000 = 1 g) clamped to int16; label is idle, wave, circle or updown. The classes
 * are interleaved so that the class changes at every recording (test.csv doubles as a continuous stream).
 *
 * The device lies screen up (gravity reads about +1000 mg on z) under a random yaw and a tilt of up to 25°
 * about x and y; gravity (1000 mg ± 2%) and the motion are rotated into the device frame, then per-axis
 * offsets (±40 mg), Gaussian noise (5-30 mg), hand tremor (8-12 Hz, a few mg) and a slow drift are added.
 * - idle: nothing more.
 * - wave: side to side within ±30° of the device's x axis, 1.5-3 Hz, 300-900 mg, 10-30% second harmonic.
 * - circle: a circle in a horizontal or vertical plane, 0.6-1.4 Hz, 250-700 mg, either direction, elliptic.
 * - updown: along gravity, 1-2.5 Hz, 400-1000 mg, with second and third harmonics.
 * The moving classes have some off-axis wobble and slow amplitude and frequency jitter.
 */
import { writeFileSync } from "node:fs";
import { Rng } from "../../src/rng.js";

type Vec = [number, number, number];
const LABELS = ["idle", "wave", "circle", "updown"] as const;
type Label = (typeof LABELS)[number];
const RATE = 50;
const SAMPLES = 400;
const DEG = Math.PI / 180;

const scale = (v: Vec, s: number): Vec => [v[0] * s, v[1] * s, v[2] * s];
const horizontal = (angle: number): Vec => [Math.cos(angle), Math.sin(angle), 0];
const UP: Vec = [0, 0, 1];

function randomUnit(rng: Rng): Vec {
  const v: Vec = [rng.normal(), rng.normal(), rng.normal()];
  return scale(v, 1 / Math.hypot(...v));
}

/** The device's x, y and z axes in world coordinates after a tilt of a about x and b about y, then yaw. */
function deviceAxes(yaw: number, a: number, b: number): Vec[] {
  const [ca, sa, cb, sb, cz, sz] = [
    Math.cos(a),
    Math.sin(a),
    Math.cos(b),
    Math.sin(b),
    Math.cos(yaw),
    Math.sin(yaw),
  ];
  const rotate = ([x, y, z]: Vec): Vec => {
    [x, z] = [cb * x + sb * z, cb * z - sb * x]; // about y
    [y, z] = [ca * y - sa * z, sa * y + ca * z]; // about x
    return [cz * x - sz * y, sz * x + cz * y, z]; // about z (yaw)
  };
  return [rotate([1, 0, 0]), rotate([0, 1, 0]), rotate(UP)];
}

/** A sinusoid along a fixed direction: amplitude (mg), harmonic number and phase. */
interface Term {
  dir: Vec;
  amp: number;
  harmonic: number;
  phase: number;
}

/** The motion terms of one recording (world frame) and its base frequency in Hz. */
function motion(rng: Rng, label: Label, yaw: number): { terms: Term[]; freq: number } {
  const phase = () => rng.uniform(0, 2 * Math.PI);
  if (label === "idle") return { terms: [], freq: 0 };
  if (label === "wave") {
    const dir = horizontal(yaw + rng.uniform(-30, 30) * DEG);
    const amp = rng.uniform(300, 900);
    const p = phase();
    return {
      freq: rng.uniform(1.5, 3),
      terms: [
        { dir, amp, harmonic: 1, phase: p },
        { dir, amp: amp * rng.uniform(0.1, 0.3), harmonic: 2, phase: 2 * p + phase() },
        { dir: UP, amp: amp * rng.uniform(0.05, 0.25), harmonic: 2, phase: phase() }, // the hand swings in an arc
      ],
    };
  }
  if (label === "circle") {
    const vertical = rng.next() < 0.5;
    const u = horizontal(rng.uniform(0, 2 * Math.PI));
    const v: Vec = vertical ? UP : [-u[1], u[0], 0];
    const amp = rng.uniform(250, 700);
    const [ru, rv] = rng.next() < 0.5 ? [1, rng.uniform(0.6, 1)] : [rng.uniform(0.6, 1), 1];
    const turn = rng.next() < 0.5 ? 1 : -1; // clockwise or counter-clockwise
    const p = phase();
    return {
      freq: rng.uniform(0.6, 1.4),
      terms: [
        { dir: u, amp: amp * ru, harmonic: 1, phase: p },
        { dir: v, amp: amp * rv * turn, harmonic: 1, phase: p + Math.PI / 2 },
      ],
    };
  }
  const amp = rng.uniform(400, 1000);
  const p = phase();
  return {
    freq: rng.uniform(1, 2.5),
    terms: [
      { dir: UP, amp, harmonic: 1, phase: p },
      { dir: UP, amp: amp * rng.uniform(0.1, 0.3), harmonic: 2, phase: 2 * p + phase() },
      { dir: UP, amp: amp * rng.uniform(0, 0.15), harmonic: 3, phase: 3 * p + phase() },
      { dir: horizontal(phase()), amp: amp * rng.uniform(0.05, 0.2), harmonic: 1, phase: phase() },
    ],
  };
}

/** One recording of one class: SAMPLES rows of [ax, ay, az] in integer milli-g. */
function recording(rng: Rng, label: Label): Vec[] {
  const yaw = rng.uniform(0, 2 * Math.PI);
  const axes = deviceAxes(yaw, rng.uniform(-25, 25) * DEG, rng.uniform(-25, 25) * DEG);
  const gravity = scale(UP, 1000 * rng.uniform(0.98, 1.02));
  const offset: Vec = [rng.uniform(-40, 40), rng.uniform(-40, 40), rng.uniform(-40, 40)];
  const noise = rng.uniform(5, 30);
  const tremor = {
    dir: randomUnit(rng),
    amp: rng.uniform(2, 6),
    freq: rng.uniform(8, 12),
    phase: rng.next(),
  };
  const drift = {
    dir: randomUnit(rng),
    amp: rng.uniform(5, 25),
    freq: rng.uniform(0.03, 0.15),
    phase: rng.next(),
  };
  const { terms, freq } = motion(rng, label, yaw);
  // Slow jitter: the amplitude swings by up to ±20% and the frequency by up to ±8%, at 0.1-0.4 Hz.
  const jitter = (most: number) => ({
    depth: most * rng.uniform(0.25, 1),
    freq: rng.uniform(0.1, 0.4),
    phase: rng.next(),
  });
  const ampJitter = jitter(0.2);
  const freqJitter = jitter(0.08);
  const swing = (j: { depth: number; freq: number; phase: number }, t: number) =>
    j.depth * Math.sin(2 * Math.PI * (j.freq * t + j.phase));

  const rows: Vec[] = [];
  let cycles = 0; // integrated base frequency, so frequency jitter bends the phase smoothly
  for (let k = 0; k < SAMPLES; k++) {
    const t = k / RATE;
    const world: Vec = [...gravity];
    const add = (dir: Vec, a: number) => {
      for (let i = 0; i < 3; i++) world[i] += dir[i] * a;
    };
    const envelope = 1 + swing(ampJitter, t);
    for (const term of terms)
      add(term.dir, term.amp * envelope * Math.sin(2 * Math.PI * term.harmonic * cycles + term.phase));
    add(tremor.dir, tremor.amp * Math.sin(2 * Math.PI * (tremor.freq * t + tremor.phase)));
    add(drift.dir, drift.amp * Math.sin(2 * Math.PI * (drift.freq * t + drift.phase)));
    cycles += (freq * (1 + swing(freqJitter, t))) / RATE;
    rows.push(
      axes.map((axis, i) => {
        const mg =
          axis[0] * world[0] + axis[1] * world[1] + axis[2] * world[2] + offset[i] + noise * rng.normal();
        return Math.min(32767, Math.max(-32768, Math.round(mg)));
      }) as Vec,
    );
  }
  return rows;
}

/** Class order: shuffled rounds of all four classes, never the same class twice in a row. */
function order(rng: Rng, perClass: number): Label[] {
  const labels: Label[] = [];
  for (let r = 0; r < perClass; r++) {
    let round: number[];
    do {
      round = rng.shuffle([0, 1, 2, 3]);
    } while (r > 0 && LABELS[round[0]] === labels[labels.length - 1]);
    labels.push(...round.map((i) => LABELS[i]));
  }
  return labels;
}

function file(perClass: number, seed: number): string {
  const rng = new Rng(seed);
  const lines = ["recording,ax,ay,az,label"];
  order(rng, perClass).forEach((label, id) => {
    for (const [ax, ay, az] of recording(rng, label)) lines.push(`${id},${ax},${ay},${az},${label}`);
  });
  return `${lines.join("\n")}\n`;
}

writeFileSync(new URL("./train.csv", import.meta.url), file(30, 1));
writeFileSync(new URL("./test.csv", import.meta.url), file(10, 2));

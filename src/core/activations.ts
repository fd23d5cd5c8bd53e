/**
 * The activation registry. Every activation, built in or registered by a user, is one entry here; the
 * trainer, the lowering, the quantizer and the code generator look activations up by name and ask the
 * entry (its derivative, whether it is elementwise, how it quantizes: a clamp, a second multiplier, a
 * table or softmax). Two facts stay keyed by name, in src/ops/activation: the fixed output scales of
 * sigmoid and tanh (as TensorFlow Lite fixes them) and their point symmetry; and "linear" means no
 * activation everywhere.
 *
 * Elementwise activations define y = f(x) and its derivative; softmax is the one activation that works on
 * a whole vector. Array loops (`forward`, `backward`) are derived from f and df unless an entry gives
 * faster ones.
 */
import { UsageError } from "../errors.js";

export interface ActivationOptions {
  /** negative slope of leaky_relu */
  alpha?: number;
}

/** How the quantizer treats an activation (see src/quant). */
export type QuantHint =
  /** the identity: no clamp */
  | { kind: "linear" }
  /** clamp to [lo, hi] in real units, fused into the preceding layer's requantization */
  | { kind: "clamp"; lo: number; hi: number }
  /** y = x for x >= 0, alpha * x below: a second requantization multiplier */
  | { kind: "leaky" }
  /** integer softmax over the vector */
  | { kind: "softmax" }
  /** any other elementwise function: a lookup table built from f */
  | { kind: "table" };

export interface Activation {
  name: string;
  builtin: boolean;
  elementwise: boolean;
  /** the initialiser that suits it: He for the relu family, Glorot otherwise */
  init: "he" | "glorot";
  f(x: number, options: ActivationOptions): number;
  /** dy/dx, given x and y = f(x) */
  df(x: number, y: number, options: ActivationOptions): number;
  quant(options: ActivationOptions): QuantHint;
  /** y[i] = f(z[i]) over len values */
  forward(z: Float32Array, y: Float32Array, len: number, width: number, options: ActivationOptions): void;
  /** dz[i] = dy[i] * f'(z[i]) (or the Jacobian product for vector activations) */
  backward(
    z: Float32Array,
    y: Float32Array,
    dy: Float32Array,
    dz: Float32Array,
    len: number,
    width: number,
    options: ActivationOptions,
  ): void;
}

export const DEFAULT_LEAKY_ALPHA = 0.2;

const registry = new Map<string, Activation>();

interface ElementwiseSpec {
  f(x: number, options: ActivationOptions): number;
  df(x: number, y: number, options: ActivationOptions): number;
  init?: "he" | "glorot";
  quant?: (options: ActivationOptions) => QuantHint;
}

function elementwise(name: string, spec: ElementwiseSpec, builtin: boolean): Activation {
  const { f, df } = spec;
  return {
    name,
    builtin,
    elementwise: true,
    init: spec.init ?? "glorot",
    f,
    df,
    quant: spec.quant ?? (() => ({ kind: "table" })),
    forward(z, y, len, _width, options) {
      for (let i = 0; i < len; i++) y[i] = f(z[i], options);
    },
    backward(z, y, dy, dz, len, _width, options) {
      for (let i = 0; i < len; i++) dz[i] = dy[i] * df(z[i], y[i], options);
    },
  };
}

function sigmoid(x: number): number {
  // written so that exp never overflows
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const relu: Activation = {
  ...elementwise(
    "relu",
    {
      f: (x) => (x > 0 ? x : 0),
      df: (x) => (x > 0 ? 1 : 0),
      init: "he",
      quant: () => ({ kind: "clamp", lo: 0, hi: Number.POSITIVE_INFINITY }),
    },
    true,
  ),
  // the hot path of most models: plain loops, no calls
  forward(z, y, len) {
    for (let i = 0; i < len; i++) {
      const v = z[i];
      y[i] = v > 0 ? v : 0;
    }
  },
  backward(z, _y, dy, dz, len) {
    for (let i = 0; i < len; i++) dz[i] = z[i] > 0 ? dy[i] : 0;
  },
};

const softmax: Activation = {
  name: "softmax",
  builtin: true,
  elementwise: false,
  init: "glorot",
  f: () => {
    throw new Error("softmax is not elementwise");
  },
  df: () => {
    throw new Error("softmax is not elementwise");
  },
  quant: () => ({ kind: "softmax" }),
  forward(z, y, len, width) {
    for (let r = 0; r < len; r += width) {
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < width; j++) max = Math.max(max, z[r + j]);
      let sum = 0;
      for (let j = 0; j < width; j++) {
        const e = Math.exp(z[r + j] - max);
        y[r + j] = e;
        sum += e;
      }
      for (let j = 0; j < width; j++) y[r + j] /= sum;
    }
  },
  backward(_z, y, dy, dz, len, width) {
    // dz_j = y_j (dy_j - sum_k dy_k y_k)
    for (let r = 0; r < len; r += width) {
      let dot = 0;
      for (let j = 0; j < width; j++) dot += dy[r + j] * y[r + j];
      for (let j = 0; j < width; j++) dz[r + j] = y[r + j] * (dy[r + j] - dot);
    }
  },
};

const builtins: Activation[] = [
  relu,
  elementwise(
    "relu6",
    {
      f: (x) => (x > 0 ? (x < 6 ? x : 6) : 0),
      df: (x) => (x > 0 && x < 6 ? 1 : 0),
      init: "he",
      quant: () => ({ kind: "clamp", lo: 0, hi: 6 }),
    },
    true,
  ),
  elementwise(
    "leaky_relu",
    {
      f: (x, o) => (x >= 0 ? x : (o.alpha ?? DEFAULT_LEAKY_ALPHA) * x),
      df: (x, _y, o) => (x >= 0 ? 1 : (o.alpha ?? DEFAULT_LEAKY_ALPHA)),
      init: "he",
      quant: () => ({ kind: "leaky" }),
    },
    true,
  ),
  elementwise("sigmoid", { f: sigmoid, df: (_x, y) => y * (1 - y) }, true),
  elementwise("tanh", { f: Math.tanh, df: (_x, y) => 1 - y * y }, true),
  elementwise("linear", { f: (x) => x, df: () => 1, quant: () => ({ kind: "linear" }) }, true),
  softmax,
];
for (const a of builtins) registry.set(a.name, a);

export const ACTIVATION_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Registers a user-defined elementwise activation: `f(x)` and its derivative `df(x, y)` (y = f(x) is given
 * for convenience). Models using it train, save and load by name (register it before loading); the
 * quantizer tabulates it and reports the table's error.
 */
export function registerActivation(
  name: string,
  f: (x: number) => number,
  df: (x: number, y: number) => number,
  options: { init?: "he" | "glorot" } = {},
): void {
  if (!ACTIVATION_NAME.test(name)) {
    throw new UsageError(`activation name '${name}': expected lower case letters, digits and _ (at most 32)`);
  }
  const existing = registry.get(name);
  if (existing?.builtin) throw new UsageError(`activation '${name}' is built in and cannot be replaced`);
  registry.set(name, elementwise(name, { f, df, init: options.init }, false));
}

/** Removes a user-registered activation (for tests). */
export function unregisterActivation(name: string): void {
  if (registry.get(name)?.builtin === false) registry.delete(name);
}

export function hasActivation(name: string): boolean {
  return registry.has(name);
}

export function getActivation(name: string): Activation {
  const a = registry.get(name);
  if (!a) {
    throw new UsageError(
      `unknown activation '${name}': expected one of ${activationNames().join(", ")} or one registered with registerActivation`,
    );
  }
  return a;
}

export function activationNames(): string[] {
  return [...registry.keys()];
}

export { sigmoid as sigmoidFn };

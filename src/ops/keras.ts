/**
 * Reading Keras layer configs (what `model.to_json()` writes, Keras 2 and Keras 3): each op kind's
 * converter maps the fields nn2c implements and accepts the others only at Keras' defaults (or null);
 * anything else is refused by name, so that a file never silently means something else in nn2c.
 */
import { activationNames } from "../core/activations.js";
import type { KerasConfig } from "./registry.js";

export type Refuse = (field: string, expected: string) => never;

/** Fields every Keras layer has, which nn2c reads elsewhere (name) or ignores at their defaults. */
const COMMON = ["name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"];

/** Refuses fields the converter does not know: `known` are the ones it reads. */
export function onlyKnown(config: KerasConfig, known: string[], refuse: Refuse): void {
  for (const key of Object.keys(config)) {
    if (!known.includes(key) && !COMMON.includes(key))
      refuse(key, `a field nn2c knows (${known.join(", ")})`);
  }
  if (config.trainable !== undefined && config.trainable !== true)
    refuse("trainable", "true (nn2c trains every layer)");
  const dtype = config.dtype;
  const name =
    typeof dtype === "object" && dtype !== null
      ? (dtype as { config?: { name?: unknown } }).config?.name
      : dtype;
  if (dtype !== undefined && dtype !== null && name !== "float32") refuse("dtype", "float32");
}

/** A field that nn2c ignores: accepted only at Keras' default value or null. */
export function atDefault(config: KerasConfig, field: string, defaults: unknown[], refuse: Refuse): void {
  const v = config[field];
  if (v === undefined || v === null) return;
  if (!defaults.some((d) => JSON.stringify(d) === JSON.stringify(v))) {
    refuse(field, `${defaults.map((d) => JSON.stringify(d)).join(" or ")} or null (nn2c has no other)`);
  }
}

/** The class name and config of a Keras object field (Keras 2: {class_name, config}; Keras 3 adds module). */
function kerasObject(v: unknown): { className: string; config: Record<string, unknown> } | null {
  if (typeof v === "string") return { className: v, config: {} };
  if (typeof v !== "object" || v === null) return null;
  const o = v as { class_name?: unknown; config?: unknown };
  if (typeof o.class_name !== "string") return null;
  return { className: o.class_name, config: (o.config ?? {}) as Record<string, unknown> };
}

/** An activation field: a name nn2c has (Keras' names and nn2c's are the same for these). */
export function kerasActivation(v: unknown, refuse: Refuse, field = "activation"): string {
  if (v === undefined || v === null) return "linear";
  const name = typeof v === "string" ? v : kerasObject(v)?.className;
  if (typeof name !== "string" || !activationNames().includes(name)) {
    refuse(field, `one of ${activationNames().join(", ")}`);
  }
  return name;
}

/** An initializer field mapped to nn2c's names; a seed is refused (nn2c seeds from --seed). */
export function kerasInitializer<T extends string>(
  config: KerasConfig,
  field: string,
  known: Record<string, T>,
  refuse: Refuse,
): T | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  const o = kerasObject(v);
  const name = o === null ? undefined : known[o.className];
  if (o === null || name === undefined) refuse(field, `one of ${Object.keys(known).join(", ")}`);
  if (o.config.seed !== undefined && o.config.seed !== null)
    refuse(`${field}.config.seed`, "null (nn2c seeds with --seed)");
  return name;
}

/** An L2 regularizer field: its factor, or undefined for none; L1 parts must be 0. */
export function kerasL2(config: KerasConfig, field: string, refuse: Refuse): number | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  const o = kerasObject(v);
  if (o === null || !["L2", "l2", "L1L2"].includes(o.className)) refuse(field, "null or an L2 regularizer");
  if (o.config.l1 !== undefined && o.config.l1 !== 0) refuse(`${field}.config.l1`, "0 (nn2c has L2 only)");
  const l2 = o.config.l2 ?? 0.01;
  if (typeof l2 !== "number" || !(l2 >= 0)) refuse(`${field}.config.l2`, "a number >= 0");
  return l2 === 0 ? undefined : l2;
}

/** A number field in a range, or its default. */
export function kerasNumber(
  config: KerasConfig,
  field: string,
  fallback: number,
  refuse: Refuse,
  check: (v: number) => boolean = Number.isFinite,
  expected = "a finite number",
): number {
  const v = config[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !check(v)) refuse(field, expected);
  return v;
}

/** The kernel options of a layer with weights: no bias, the kernel initializer, the L2 factor. */
export interface KernelOptions {
  useBias?: boolean;
  kernelInitializer?: "glorot_uniform" | "he_uniform";
  l2?: number;
}

/**
 * use_bias, the kernel's initializer (Glorot or He uniform, unseeded), a zeros bias initializer and an L2
 * kernel regularizer, as Dense and the convolutions take them (`kernel`: the field prefix, "kernel" or
 * "depthwise"); the fields nn2c lacks are refused by name.
 */
export function kerasKernelOptions(config: KerasConfig, refuse: Refuse, kernel = "kernel"): KernelOptions {
  const out: KernelOptions = {};
  if (config.use_bias === false) out.useBias = false;
  else if (config.use_bias !== undefined && config.use_bias !== true) refuse("use_bias", "true or false");
  const init = kerasInitializer(
    config,
    `${kernel}_initializer`,
    {
      GlorotUniform: "glorot_uniform",
      glorot_uniform: "glorot_uniform",
      HeUniform: "he_uniform",
      he_uniform: "he_uniform",
    },
    refuse,
  );
  if (init) out.kernelInitializer = init;
  kerasInitializer(config, "bias_initializer", { Zeros: "zeros", zeros: "zeros" }, refuse);
  const l2 = kerasL2(config, `${kernel}_regularizer`, refuse);
  if (l2 !== undefined) out.l2 = l2;
  return out;
}

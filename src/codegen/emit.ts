/**
 * From a model to the view the C templates render: each op's arrays, parameter struct and calls from its
 * kind (src/ops/<kind>/emit.ts), the memory plan of the arena (src/graph/plan.ts), every name prefixed,
 * every number formatted, and the runtime files listed. The templates only lay the text out; all
 * decisions are here and in the op folders.
 */
import type { Exportable } from "../core/exportable.js";
import { CTYPE } from "../core/quant.js";
import { type Shape, sizeOf } from "../core/shape.js";
import { type MemoryPlan, planMemory } from "../graph/plan.js";
import { lowerModel } from "../model/io.js";
import type { ModelFile } from "../model/schema.js";
import { rows } from "../ops/common.js";
import { getOpFacet } from "../ops/index.js";
import type { ArrayView, EmittedOp, ParamsView } from "../ops/registry.js";
import { INPUT_TENSOR, inputQuant, outputQuant, type QModel } from "../quant/schema.js";
import { programOf } from "../reference/integer.js";
import { VERSION } from "../version.js";
import { cComment, cFloat, cString } from "./cnames.js";

export type ExportPrecision = "float32" | "int8" | "int16";
export type { ArrayView };

export interface OpView {
  comment: string;
  arrays: ArrayView[];
  params: ParamsView | null;
  /** bytes of arena the op's kernel uses during its call only */
  scratchBytes: number;
}

/** A tensor in the plan: its arena offset (in elements) and size. */
export interface PlannedTensorView {
  name: string;
  shape: Shape;
  /** offset and size in bytes */
  offset: number;
  bytes: number;
}

export interface ModelView {
  banner: string[];
  name: string;
  NAME: string;
  precision: ExportPrecision;
  /** element type of codes (int8_t, int16_t) or float */
  ctype: string;
  /** runtime suffix: s8, s16, f32 */
  dtype: string;
  inputSize: number;
  outputSize: number;
  classification: boolean;
  classCount: number;
  classNames: string[];
  task: string;
  outputKind: string;
  arenaSize: number;
  arenaBytes: number;
  flashBytes: number;
  inputNames: string;
  mean: string[];
  std: string[];
  integer: boolean;
  inputScale: string;
  inputZeroPoint: number;
  outputScale: string;
  outputZeroPoint: number;
  regression: { mean: string; std: string } | null;
  ops: OpView[];
  /** pointer declarations of the internal tensors, in run() */
  tensors: { name: string; offset: number; width: number }[];
  /** the statements of each op in run() */
  steps: string[][];
  /** offsets of the input and output tensors in the arena, for predict_float */
  inputOffset: number;
  outputOffset: number;
  runtimeFiles: string[];
  /** the memory plan, per tensor (bytes) */
  plan: PlannedTensorView[];
  /** one line per op: "dense_1: dense 32 -> 16 relu" (bench, inspect) */
  opNames: string[];
}

/**
 * The alignment of the arena's offsets: each element's own, unless an op's kernels need more (its op
 * facet's `alignment`, in bytes). Today's kernels read their tensors at any offset (the kernel tests place
 * inputs 0 to 3 bytes past a word boundary); word-aligned tensors would only save cycles, at the price
 * of padding between small int8 tensors.
 */
function alignmentOf(g: Graphish, elementBytes: number): number {
  return g.ops.reduce((a, op) => Math.max(a, getOpFacet(op.kind).alignment ?? 1), elementBytes);
}

interface Common {
  name: string;
  task: string;
  classes?: string[];
  inputs: ModelFile["inputs"];
  output: { mean?: number; std?: number };
}

function classInfo(task: string, classes: string[] | undefined) {
  const classification = task === "classification";
  return {
    classification,
    classCount: classification ? (classes?.length ?? 0) : 0,
    classNames: classification ? (classes ?? []).map(cString) : [],
  };
}

function inputView(c: Common) {
  return {
    inputNames: cComment(c.inputs.names.join(", ")).slice(0, 400),
    // inputs taken as they are (mean +0, std 1: imported models) need no arrays: (x - 0) / 1 is x exactly
    standardized: !(c.inputs.mean.every((m) => Object.is(m, 0)) && c.inputs.std.every((v) => v === 1)),
    mean: rows(c.inputs.mean.map(cFloat), 8),
    std: rows(c.inputs.std.map(cFloat), 8),
    regression:
      c.task === "regression" && c.output.mean !== undefined && c.output.std !== undefined
        ? { mean: cFloat(c.output.mean), std: cFloat(c.output.std) }
        : null,
  };
}

interface Graphish {
  input: string;
  output: string;
  ops: { kind: string; inputs: string[]; output: string }[];
  shape(tensor: string): Shape;
}

/** The memory plan of a graph's tensors, elements of `elementBytes`. */
function planGraph(g: Graphish, elementBytes: number, scratch: number[] = []): MemoryPlan {
  const names = [g.input, ...g.ops.map((op) => op.output)];
  const first = new Map<string, number>([[g.input, -1]]);
  const last = new Map<string, number>();
  g.ops.forEach((op, k) => {
    first.set(op.output, k);
    for (const i of op.inputs) last.set(i, k);
  });
  last.set(g.output, g.ops.length);
  return planMemory({
    tensors: names.map((name) => ({
      name,
      bytes: sizeOf(g.shape(name)) * elementBytes,
      first: first.get(name)!,
      last: last.get(name) ?? first.get(name)!,
    })),
    inPlace: g.ops.flatMap((op, k) =>
      getOpFacet(op.kind).inPlace ? [{ op: k, input: op.inputs[0], output: op.output }] : [],
    ),
    scratch: scratch.map((bytes, op) => ({ op, bytes })),
    alignment: alignmentOf(g, elementBytes),
  });
}

/**
 * The plan and the run() statements of a graph of emitted ops: the model input and output bound to the
 * caller's pointers, every other tensor to a pointer into the arena.
 */
function wire(g: Graphish, emitted: EmittedOp[], elementBytes: number) {
  const names = [g.input, ...g.ops.map((op) => op.output)];
  const plan = planGraph(
    g,
    elementBytes,
    emitted.map((e) => e.scratchBytes ?? 0),
  );
  const pointer = new Map<string, string>();
  const tensors: ModelView["tensors"] = [];
  names.forEach((name, k) => {
    if (name === g.input) pointer.set(name, "input");
    else if (name === g.output) pointer.set(name, "output");
    else {
      pointer.set(name, `t${k}`);
      tensors.push({
        name: `t${k}`,
        offset: plan.offsets.get(name)! / elementBytes,
        width: sizeOf(g.shape(name)),
      });
    }
  });
  // an op's scratch buffer: bytes of the arena, whatever its element type
  const scratchPointer = (k: number) => {
    const offset = plan.scratch.get(k);
    if (offset === undefined) return "NULL";
    return elementBytes === 1 ? `arena + ${offset}` : `(int8_t *)(void *)(arena + ${offset / elementBytes})`;
  };
  const steps = g.ops.map((op, k) =>
    emitted[k].calls(
      op.inputs.map((i) => pointer.get(i)!),
      pointer.get(op.output)!,
      scratchPointer(k),
    ),
  );
  const planView = names.map((name) => ({
    name,
    shape: g.shape(name),
    offset: plan.offsets.get(name)!,
    bytes: sizeOf(g.shape(name)) * elementBytes,
  }));
  return { plan, tensors, steps, planView };
}

/** The view of an int8 or int16 integer program. */
export function emitQuantized(q: QModel, name: string, sourceHash: string): ModelView {
  const p = q.precision;
  const { ctype, dtype, bytes: elem } = CTYPE[p];
  const prefix = `${name}_`;
  const program = programOf(q);
  const files = new Set<string>([
    "nn.h",
    "nn_config.h",
    "nn_support.h",
    `nn_quantize_f32_${dtype}.c`,
    `nn_dequantize_${dtype}_f32.c`,
  ]);
  const emittedTables = new Set<number>();
  const emitted = q.ops.map((op, k) => {
    const e = getOpFacet(op.kind).quant.emit(op as never, {
      id: `${prefix}op${k}`,
      prefix,
      title: `op ${k} (${op.name})`,
      precision: p,
      quant: program.quant,
      size: program.size,
      tables: q.tables,
      table: (index) => {
        const first = !emittedTables.has(index);
        emittedTables.add(index);
        return { name: `${prefix}table${index}`, first };
      },
    });
    for (const f of e.runtime) files.add(f);
    return e;
  });
  const shapes = new Map(q.tensors.map((t) => [t.name, t.shape]));
  const { plan, tensors, steps, planView } = wire(
    { input: INPUT_TENSOR, output: q.outputs[0], ops: q.ops, shape: (t) => shapes.get(t)! },
    emitted,
    elem,
  );
  const input = inputQuant(q);
  const output = outputQuant(q);
  const view: ModelView = {
    banner: [],
    name,
    NAME: name.toUpperCase(),
    precision: p,
    ctype,
    dtype,
    inputSize: q.inputs.names.length,
    outputSize: program.size(q.outputs[0]),
    ...classInfo(q.task, q.output.classes),
    task: q.task,
    outputKind: q.output.kind,
    arenaSize: plan.size / elem,
    arenaBytes: plan.size,
    flashBytes: 0,
    integer: true,
    inputScale: cFloat(input.scale),
    inputZeroPoint: input.zeroPoint,
    outputScale: cFloat(output.scale),
    outputZeroPoint: output.zeroPoint,
    ...inputView({ name, task: q.task, classes: q.output.classes, inputs: q.inputs, output: q.output }),
    ops: emitted.map(({ comment, arrays, params, scratchBytes }) => ({
      comment,
      arrays,
      params,
      scratchBytes: scratchBytes ?? 0,
    })),
    tensors,
    steps,
    inputOffset: plan.offsets.get(INPUT_TENSOR)! / elem,
    outputOffset: plan.offsets.get(q.outputs[0])! / elem,
    runtimeFiles: [...files].sort(),
    plan: planView,
    opNames: q.ops.map((op) => `${op.name}: ${op.kind} ${getOpFacet(op.kind).quant.describe(op as never)}`),
  };
  view.flashBytes = constBytes(view);
  view.banner = banner(name, sourceHash, [
    `${p} integer program: ${q.ops.length} ops, ${q.calibration ? `calibrated on ${q.calibration.rows} rows (${q.calibration.method})` : `imported from ${q.source?.format ?? "a file"} with its quantization`}`,
    `input: standardised, then scale ${input.scale.toPrecision(6)} zero point ${input.zeroPoint}; output: ${q.output.kind}, scale ${output.scale.toPrecision(6)} zero point ${output.zeroPoint}`,
  ]);
  return view;
}

/** The view of a float32 export: the lowered model's ops with their float kernels. */
export function emitFloat(model: ModelFile, name: string, sourceHash: string): ModelView {
  const prefix = `${name}_`;
  const g = lowerModel(model);
  const files = new Set<string>(["nn.h", "nn_config.h", "nn_standardize_f32.c"]);
  const emitted = g.ops.map((op, k) => {
    const e = getOpFacet(op.kind).emitFloat(op, {
      id: `${prefix}op${k}`,
      prefix,
      title: `op ${k} (${op.name})`,
    });
    for (const f of e.runtime) files.add(f);
    return e;
  });
  const { plan, tensors, steps, planView } = wire(
    { input: g.input.name, output: g.output, ops: g.ops, shape: (t) => g.shapes.get(t)! },
    emitted,
    4,
  );
  const view: ModelView = {
    banner: [],
    name,
    NAME: name.toUpperCase(),
    precision: "float32",
    ctype: "float",
    dtype: "f32",
    inputSize: model.inputs.names.length,
    outputSize: sizeOf(g.shapes.get(g.output)!),
    ...classInfo(model.task, model.output.classes),
    task: model.task,
    outputKind: model.task === "regression" ? "values" : "probabilities",
    arenaSize: plan.size / 4,
    arenaBytes: plan.size,
    flashBytes: 0,
    integer: false,
    inputScale: "1.0f",
    inputZeroPoint: 0,
    outputScale: "1.0f",
    outputZeroPoint: 0,
    ...inputView({
      name,
      task: model.task,
      classes: model.output.classes,
      inputs: model.inputs,
      output: model.output,
    }),
    ops: emitted.map(({ comment, arrays, params, scratchBytes }) => ({
      comment,
      arrays,
      params,
      scratchBytes: scratchBytes ?? 0,
    })),
    tensors,
    steps,
    inputOffset: plan.offsets.get(g.input.name)! / 4,
    outputOffset: plan.offsets.get(g.output)! / 4,
    runtimeFiles: [...files].sort(),
    plan: planView,
    opNames: g.ops.map(
      (op) => `${op.name}: ${op.kind}${op.activation.name === "linear" ? "" : ` + ${op.activation.name}`}`,
    ),
  };
  view.flashBytes = constBytes(view);
  view.banner = banner(name, sourceHash, [`float32: ${g.ops.length} ops`]);
  return view;
}

/** The memory plan of a model's arena (float32, or the program's precision). */
export function planModel(m: Exportable): { arenaBytes: number; tensors: PlannedTensorView[] } {
  let g: Graphish;
  let elem: number;
  if (m.kind === "quantized") {
    const shapes = new Map(m.model.tensors.map((t) => [t.name, t.shape]));
    g = { input: INPUT_TENSOR, output: m.model.outputs[0], ops: m.model.ops, shape: (t) => shapes.get(t)! };
    elem = CTYPE[m.model.precision].bytes;
  } else {
    const f = lowerModel(m.model);
    g = { input: f.input.name, output: f.output, ops: f.ops, shape: (t) => f.shapes.get(t)! };
    elem = 4;
  }
  const plan = planGraph(g, elem);
  const names = [g.input, ...g.ops.map((op) => op.output)];
  return {
    arenaBytes: plan.size,
    tensors: names.map((name) => ({
      name,
      shape: g.shape(name),
      offset: plan.offsets.get(name)!,
      bytes: sizeOf(g.shape(name)) * elem,
    })),
  };
}

/** The view of either kind of model. */
export function emitModel(m: Exportable, name: string, sourceHash: string): ModelView {
  return m.kind === "float" ? emitFloat(m.model, name, sourceHash) : emitQuantized(m.model, name, sourceHash);
}

const CTYPE_BYTES: Record<string, number> = {
  int8_t: 1,
  uint16_t: 2,
  int32_t: 4,
  uint32_t: 4,
  int64_t: 8,
  float: 4,
};

/** Values of one constant array. */
export function arrayElements(a: ArrayView): number {
  return a.dims.match(/\d+/g)!.reduce((p, d) => p * Number(d), 1);
}

/** Bytes of one constant array. */
export function arrayBytes(a: ArrayView): number {
  return arrayElements(a) * CTYPE_BYTES[a.ctype];
}

/** Bytes of constant data (arrays, parameter structs, standardisation, class names) the model puts in flash. */
function constBytes(v: ModelView): number {
  let bytes = 0;
  for (const op of v.ops) {
    for (const a of op.arrays) bytes += arrayBytes(a);
    bytes += op.params?.bytes ?? 0;
  }
  bytes += 8 * v.inputSize; // mean and std
  for (const c of v.classNames) bytes += c.length - 1 + 4; // literal (minus quotes, plus NUL) and pointer
  return bytes;
}

export function banner(name: string, sourceHash: string, summary: string[]): string[] {
  return [
    `${name}: generated by nn2c ${VERSION}. Do not edit: re-export the model instead.`,
    `model sha256 ${sourceHash}`,
    ...summary.map(cComment),
  ];
}

/**
 * From a model to the view the C templates render: every number formatted, every name prefixed, every
 * array laid out in rows, the buffer plan made and the runtime files listed. The templates only lay the
 * text out; all decisions are here.
 */
import { UsageError } from "../errors.js";
import { getActivation } from "../model/activations.js";
import type { ModelFile } from "../model/schema.js";
import type { TableS8, TableS16 } from "../quant/lut.js";
import type { QModel, QOp } from "../quant/schema.js";
import type { SoftmaxTable } from "../quant/softmax.js";
import { VERSION } from "../version.js";
import { cComment, cFloat, cInt, cString } from "./cnames.js";
import { planBuffers } from "./plan.js";

export type ExportPrecision = "float32" | "int8" | "int16";

/** What a constant array holds, for the byte counts of inspect. */
export type Section = "weights" | "bias" | "requantization" | "table";

export interface ArrayView {
  section: Section;
  comment: string;
  ctype: string;
  name: string;
  dims: string;
  rows: string[];
}

export interface OpView {
  comment: string;
  arrays: ArrayView[];
  params: { type: string; name: string; fields: string[] } | null;
  /** the statement of the op in the run function (uses in/out pointers) */
  call: string;
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
  steps: string[];
  /** offsets of the input and output tensors in the arena, for predict_float */
  inputOffset: number;
  outputOffset: number;
  runtimeFiles: string[];
}

const VALUES_PER_LINE = 16;

/** Values in rows of at most 16, right-aligned to the widest. */
function rows(values: string[], perLine = VALUES_PER_LINE): string[] {
  const w = values.reduce((m, v) => Math.max(m, v.length), 0);
  const out: string[] = [];
  for (let k = 0; k < values.length; k += perLine) {
    out.push(
      `${values
        .slice(k, k + perLine)
        .map((v) => v.padStart(w))
        .join(", ")},`,
    );
  }
  return out;
}

/** A 2-D array: one group per row, each wrapped at 16 values. */
function matrixRows(m: number[][], fmt: (v: number) => string): string[] {
  const all = m.flat().map(fmt);
  const w = all.reduce((widest, v) => Math.max(widest, v.length), 0);
  const out: string[] = [];
  for (const row of m) {
    const vals = row.map((v) => fmt(v).padStart(w));
    for (let k = 0; k < vals.length; k += VALUES_PER_LINE) {
      const open = k === 0 ? "{ " : "  ";
      const close = k + VALUES_PER_LINE >= vals.length ? " }," : ",";
      out.push(`${open}${vals.slice(k, k + VALUES_PER_LINE).join(", ")}${close}`);
    }
  }
  return out;
}

/** Rows per group and inputs per chunk of the blocked dense weight layout (NN_DENSE_ROWS, NN_DENSE_CHUNK in nn.h). */
export const DENSE_ROWS = 4;
export const DENSE_CHUNK = 16;

/**
 * Position of weight [o][i] in the blocked layout of the integer dense kernels (nn_dense_weight_index in
 * nn.h): groups of 4 rows; within a group, chunks of 16 inputs holding the 4 rows one after the other,
 * then the group's n_in % 16 last inputs row after row; the n_out % 4 last rows row-major at the end.
 */
export function denseWeightIndex(nIn: number, nOut: number, o: number, i: number): number {
  const groupedRows = nOut - (nOut % DENSE_ROWS);
  const chunkedInputs = nIn - (nIn % DENSE_CHUNK);
  if (o >= groupedRows) return o * nIn + i;
  const row = o % DENSE_ROWS;
  const groupStart = (o - row) * nIn;
  if (i < chunkedInputs)
    return (
      groupStart +
      Math.floor(i / DENSE_CHUNK) * DENSE_ROWS * DENSE_CHUNK +
      row * DENSE_CHUNK +
      (i % DENSE_CHUNK)
    );
  return groupStart + DENSE_ROWS * chunkedInputs + row * (nIn - chunkedInputs) + (i - chunkedInputs);
}

/**
 * The lines of a dense weight array in the blocked layout: one line per row and run of (at most) 16
 * inputs, in memory order, each saying which row and inputs it holds, and a comment opening each group.
 */
function blockedWeightRows(w: number[][]): string[] {
  const nOut = w.length;
  const nIn = w[0].length;
  const width = w.flat().reduce((m, v) => Math.max(m, String(v).length), 0);
  const run = (o: number, i0: number, i1: number) => {
    const vals = w[o].slice(i0, i1).map((v) => `${String(v).padStart(width)},`);
    const inputs = i1 - i0 === 1 ? `input ${i0}` : `inputs ${i0}-${i1 - 1}`;
    return `${vals.join(" ")} /* row ${o}, ${inputs} */`;
  };
  const lines: string[] = [];
  const groupedRows = nOut - (nOut % DENSE_ROWS);
  const chunkedInputs = nIn - (nIn % DENSE_CHUNK);
  for (let g = 0; g < groupedRows; g += DENSE_ROWS) {
    lines.push(`/* rows ${g}-${g + DENSE_ROWS - 1} */`);
    for (let c = 0; c < chunkedInputs; c += DENSE_CHUNK)
      for (let r = 0; r < DENSE_ROWS; r++) lines.push(run(g + r, c, c + DENSE_CHUNK));
    if (chunkedInputs < nIn) for (let r = 0; r < DENSE_ROWS; r++) lines.push(run(g + r, chunkedInputs, nIn));
  }
  if (groupedRows < nOut) {
    const last = nOut - 1;
    lines.push(
      groupedRows === last ? `/* row ${last}, row-major */` : `/* rows ${groupedRows}-${last}, row-major */`,
    );
    for (let o = groupedRows; o < nOut; o++)
      for (let i = 0; i < nIn; i += DENSE_CHUNK) lines.push(run(o, i, Math.min(nIn, i + DENSE_CHUNK)));
  }
  return lines;
}

/** "[min, max]" of any number of values (no argument spreading: weight arrays can be large). */
const range = (vs: number[]) => {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of vs) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return `[${lo.toPrecision(4)}, ${hi.toPrecision(4)}]`;
};
const int = (v: number) => cInt(v);

interface Common {
  name: string;
  banner: string[];
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
    mean: rows(c.inputs.mean.map(cFloat), 8),
    std: rows(c.inputs.std.map(cFloat), 8),
    regression:
      c.task === "regression" && c.output.mean !== undefined && c.output.std !== undefined
        ? { mean: cFloat(c.output.mean), std: cFloat(c.output.std) }
        : null,
  };
}

/** The steps of run(): tensor pointers from the buffer plan, the input and output bound to the caller's. */
function wire(widths: number[], inPlace: boolean[], calls: ((src: string, dst: string) => string)[]) {
  const plan = planBuffers(widths, inPlace);
  const last = widths.length - 1;
  const tensors: ModelView["tensors"] = [];
  const ptr = (k: number) => (k === 0 ? "input" : k === last ? "output" : `t${k}`);
  for (let k = 1; k < last; k++)
    tensors.push({ name: `t${k}`, offset: plan.tensors[k].offset, width: widths[k] });
  const steps = calls.map((call, k) => call(ptr(k), ptr(k + 1)));
  return { plan, tensors, steps };
}

/** The view of an int8 or int16 integer program. */
export function emitQuantized(q: QModel, name: string, sourceHash: string): ModelView {
  const p = q.precision;
  const ctype = p === "int8" ? "int8_t" : "int16_t";
  const dtype = p === "int8" ? "s8" : "s16";
  const prefix = `${name}_`;
  const files = new Set<string>([
    "nn.h",
    "nn_config.h",
    "nn_support.h",
    `nn_quantize_f32_${dtype}.c`,
    `nn_dequantize_${dtype}_f32.c`,
  ]);
  const emittedTables = new Map<number, string>();
  const ops: OpView[] = [];
  const calls: ((src: string, dst: string) => string)[] = [];
  const inPlace: boolean[] = [];
  const widths = [q.inputs.names.length];
  q.ops.forEach((op, k) => {
    const v = emitOp(q, op, k, prefix, dtype, emittedTables, files);
    ops.push(v.view);
    calls.push(v.call);
    inPlace.push(op.kind !== "dense");
    widths.push(op.kind === "dense" ? op.units : op.width);
  });
  const { plan, tensors, steps } = wire(widths, inPlace, calls);
  const elem = p === "int8" ? 1 : 2;
  const common: Common = {
    name,
    banner: [],
    task: q.task,
    classes: q.output.classes,
    inputs: q.inputs,
    output: q.output,
  };
  const outputSize = widths[widths.length - 1];
  const view: ModelView = {
    banner: [],
    name,
    NAME: name.toUpperCase(),
    precision: p,
    ctype,
    dtype,
    inputSize: widths[0],
    outputSize,
    ...classInfo(q.task, q.output.classes),
    task: q.task,
    outputKind: q.output.kind,
    arenaSize: plan.size,
    arenaBytes: plan.size * elem,
    flashBytes: 0,
    integer: true,
    inputScale: cFloat(q.input.scale),
    inputZeroPoint: q.input.zeroPoint,
    outputScale: cFloat(q.outputQuant.scale),
    outputZeroPoint: q.outputQuant.zeroPoint,
    ...inputView(common),
    ops,
    tensors,
    steps,
    inputOffset: plan.tensors[0].offset,
    outputOffset: plan.tensors[plan.tensors.length - 1].offset,
    runtimeFiles: [...files].sort(),
  };
  view.flashBytes = constBytes(view);
  view.banner = banner(name, sourceHash, [
    `${p} integer program: ${q.ops.length} ops, calibrated on ${q.calibration.rows} rows (${q.calibration.method})`,
    `input: standardised, then scale ${q.input.scale.toPrecision(6)} zero point ${q.input.zeroPoint}; output: ${q.output.kind}, scale ${q.outputQuant.scale.toPrecision(6)} zero point ${q.outputQuant.zeroPoint}`,
  ]);
  return view;
}

function emitOp(
  q: QModel,
  op: QOp,
  k: number,
  prefix: string,
  dtype: string,
  tables: Map<number, string>,
  files: Set<string>,
): { view: OpView; call: (src: string, dst: string) => string } {
  const id = `${prefix}op${k}`;
  const quant = (x: { scale: number; zeroPoint: number }) =>
    `scale ${x.scale.toPrecision(6)} zp ${x.zeroPoint}`;
  if (op.kind === "dense") {
    const s64 = op.accumulator === "s64";
    const kernel = q.precision === "int8" ? "nn_dense_s8" : s64 ? "nn_dense_s16_s64" : "nn_dense_s16";
    files.add(`${kernel}.c`);
    files.add("nn_dense_internal.h");
    const realW = op.weights.flatMap((row, o) => row.map((w) => w * op.weightScales[o]));
    const arrays: ArrayView[] = [
      {
        section: "weights",
        comment: `weights: s8 [${op.units}][${op.inputs}] in the blocked layout of nn.h (groups of 4 rows, chunks of 16 inputs: nn_dense_weight_index), per output channel scales ${range(op.weightScales)}, real values ${range(realW)}`,
        ctype: "int8_t",
        name: `${id}_weights`,
        dims: `[${op.units} * ${op.inputs}] NN_WEIGHTS_ALIGNED`,
        rows: blockedWeightRows(op.weights),
      },
      {
        section: "bias",
        comment: `bias: ${s64 ? "s64" : "s32"} in accumulator units, input zero point ${op.input.zeroPoint} folded in; |accumulator| <= ${op.accumulatorBound}`,
        ctype: s64 ? "int64_t" : "int32_t",
        name: `${id}_bias`,
        dims: `[${op.units}]`,
        rows: rows(
          op.bias.map((b) => cInt(b, s64 ? "int64" : "int32")),
          8,
        ),
      },
      {
        section: "requantization",
        comment: `requantization multipliers (${s64 ? "16-bit, nn_requantize_s64" : "31-bit, nn_requantize"}) and shifts`,
        ctype: "int32_t",
        name: `${id}_mult`,
        dims: `[${op.units}]`,
        rows: rows(op.mult.map(int), 8),
      },
      {
        section: "requantization",
        comment: "",
        ctype: "int32_t",
        name: `${id}_shift`,
        dims: `[${op.units}]`,
        rows: rows(op.shift.map(int)),
      },
    ];
    if (op.negMult && op.negShift) {
      arrays.push(
        {
          section: "requantization",
          comment: "leaky relu: multipliers and shifts for negative accumulators",
          ctype: "int32_t",
          name: `${id}_neg_mult`,
          dims: `[${op.units}]`,
          rows: rows(op.negMult.map(int), 8),
        },
        {
          section: "requantization",
          comment: "",
          ctype: "int32_t",
          name: `${id}_neg_shift`,
          dims: `[${op.units}]`,
          rows: rows(op.negShift.map(int)),
        },
      );
    }
    const leaky = op.negMult !== undefined;
    const params = {
      type: `${kernel}_params_t`,
      name: `${id}_params`,
      fields: [
        `${op.inputs}, ${op.units}`,
        `${id}_weights`,
        `${id}_bias`,
        `${id}_mult`,
        `${id}_shift`,
        leaky ? `${id}_neg_mult` : "NULL",
        leaky ? `${id}_neg_shift` : "NULL",
        `${op.output.zeroPoint}, ${op.clampLo}, ${op.clampHi}`,
      ],
    };
    return {
      view: {
        comment: cComment(
          `op ${k}: layers[${op.layer}] dense ${op.inputs} -> ${op.units}, ${op.activation}${op.activation === "linear" ? "" : " fused"}; in ${dtype} ${quant(op.input)}, out ${dtype} ${quant(op.output)}, clamp [${op.clampLo}, ${op.clampHi}]`,
        ),
        arrays,
        params,
        call: "",
      },
      call: (src, dst) => `${kernel}(&${id}_params, ${src}, ${dst})`,
    };
  }
  const table = q.tables[op.table];
  const tname = `${prefix}table${op.table}`;
  const first = !tables.has(op.table);
  tables.set(op.table, tname);
  const arrays: ArrayView[] = [];
  let params: OpView["params"] = null;
  let call: (src: string, dst: string) => string;
  if (op.kind === "softmax") {
    const t = table as unknown as SoftmaxTable;
    const kernel = t.kind === "softmax_s8" ? "nn_softmax_s8" : "nn_softmax_s16";
    files.add(`${kernel}.c`);
    if (first) {
      arrays.push({
        section: "table",
        comment:
          t.kind === "softmax_s8"
            ? `softmax exp table: exp_q20[d] = round(2^20 exp(-${t.inputScale.toPrecision(6)} d)), d = 0..255`
            : `softmax exp tables: Q31 exp(-${t.inputScale.toPrecision(6)} 256 j) then exp(-${t.inputScale.toPrecision(6)} i), i, j = 0..255`,
        ctype: "uint32_t",
        name: tname,
        dims: `[${t.entries.length}]`,
        rows: rows(
          t.entries.map((e) => cInt(e, "uint32")),
          8,
        ),
      });
    }
    call = (src, dst) => `${kernel}(${src}, ${dst}, ${op.width}u, ${tname})`;
  } else if (table.kind === "table_s8") {
    const t = table as unknown as TableS8;
    files.add("nn_table_s8.c");
    if (first) {
      arrays.push({
        section: "table",
        comment: `${op.activation}, 256 entries, s8 in ${quant(t.input)} -> s8 out ${quant(t.output)}`,
        ctype: "int8_t",
        name: tname,
        dims: "[256]",
        rows: rows(t.entries.map(int)),
      });
    }
    call = (src, dst) => `nn_table_s8(${src}, ${dst}, ${op.width}u, ${tname})`;
  } else {
    const t = table as unknown as TableS16;
    files.add("nn_table_s16.c");
    if (first) {
      arrays.push({
        section: "table",
        comment: `${op.activation}, ${t.entries.length} knots (linear interpolation), s16 in ${quant(t.input)} -> s16 out ${quant(t.output)}`,
        ctype: "uint16_t",
        name: tname,
        dims: `[${t.entries.length}]`,
        rows: rows(t.entries.map((e) => `${e}u`)),
      });
      const zones = (xs: number[], unsigned: boolean) => {
        const padded = [...xs, ...Array(8 - xs.length).fill(0)];
        return `{ ${padded.map((x) => (unsigned ? `${x}u` : cInt(x))).join(", ")} }`;
      };
      params = {
        type: "nn_table_s16_params_t",
        name: `${tname}_params`,
        fields: [
          `${cInt(t.codeLo)}, ${cInt(t.codeHi)}, ${cInt(t.lowOut)}, ${cInt(t.highOut)}, ${cInt(t.outBase)}`,
          `${t.rounding}u, ${t.shift}u, ${cInt(t.mirror)}, ${t.symmetric ? 1 : 0}u, ${t.zoneStart.length}u`,
          zones(t.zoneStart, false),
          zones(t.zoneKnot, true),
          zones(t.zoneLog2, true),
        ],
      };
    }
    call = (src, dst) => `nn_table_s16(${src}, ${dst}, ${op.width}u, &${tname}_params, ${tname})`;
  }
  files.add("nn_kernels_act.h");
  return {
    view: {
      comment: cComment(
        `op ${k}: layers[${op.layer}] ${op.activation} over ${op.width} values; in ${dtype} ${quant(op.input)}, out ${dtype} ${quant(op.output)}${first ? "" : ` (table ${op.table}, shared)`}`,
      ),
      arrays,
      params,
      call: "",
    },
    call,
  };
}

/** The view of a float32 export: float dense layers and float activations, in place. */
export function emitFloat(model: ModelFile, name: string, sourceHash: string): ModelView {
  const prefix = `${name}_`;
  const files = new Set<string>(["nn.h", "nn_config.h", "nn_standardize_f32.c"]);
  const ops: OpView[] = [];
  const calls: ((src: string, dst: string) => string)[] = [];
  const inPlace: boolean[] = [];
  const widths = [model.inputs.names.length];
  let k = 0;
  model.layers.forEach((layer, li) => {
    const width = widths[widths.length - 1];
    if (layer.kind === "dense") {
      const id = `${prefix}op${k}`;
      files.add("nn_dense_f32.c");
      ops.push({
        comment: cComment(`op ${k}: layers[${li}] dense ${width} -> ${layer.units}, f32`),
        arrays: [
          {
            section: "weights",
            comment: `weights: f32 [${layer.units}][${width}]`,
            ctype: "float",
            name: `${id}_weights`,
            dims: `[${layer.units}][${width}]`,
            rows: matrixRows(layer.weights, cFloat),
          },
          {
            section: "bias",
            comment: "bias: f32",
            ctype: "float",
            name: `${id}_bias`,
            dims: `[${layer.units}]`,
            rows: rows(layer.bias.map(cFloat), 8),
          },
        ],
        params: null,
        call: "",
      });
      calls.push(
        (src, dst) =>
          `nn_dense_f32(${src}, &${id}_weights[0][0], ${id}_bias, ${width}, ${layer.units}, ${dst})`,
      );
      inPlace.push(false);
      widths.push(layer.units);
      k++;
    }
    if (layer.activation === "linear") return;
    const act = getActivation(layer.activation);
    if (!act.builtin) {
      throw new UsageError(
        `layers[${li}].activation '${layer.activation}': a user-registered activation has no float C kernel; export it as int8 or int16, where it becomes a table`,
      );
    }
    const w = widths[widths.length - 1];
    const kernel = `nn_${layer.activation}_f32`;
    files.add(`${kernel}.c`);
    const alpha = layer.activation === "leaky_relu" ? `, ${cFloat(layer.alpha ?? 0.2)}` : "";
    ops.push({
      comment: cComment(`op ${k}: layers[${li}] ${layer.activation} over ${w} values, f32, in place`),
      arrays: [],
      params: null,
      call: "",
    });
    calls.push((src, dst) => `${kernel}(${src}, ${dst}, ${w}u${alpha})`);
    inPlace.push(true);
    widths.push(w);
    k++;
  });
  const { plan, tensors, steps } = wire(widths, inPlace, calls);
  const common: Common = {
    name,
    banner: [],
    task: model.task,
    classes: model.output.classes,
    inputs: model.inputs,
    output: model.output,
  };
  const view: ModelView = {
    banner: [],
    name,
    NAME: name.toUpperCase(),
    precision: "float32",
    ctype: "float",
    dtype: "f32",
    inputSize: widths[0],
    outputSize: widths[widths.length - 1],
    ...classInfo(model.task, model.output.classes),
    task: model.task,
    outputKind: model.task === "regression" ? "values" : "probabilities",
    arenaSize: plan.size,
    arenaBytes: plan.size * 4,
    flashBytes: 0,
    integer: false,
    inputScale: "1.0f",
    inputZeroPoint: 0,
    outputScale: "1.0f",
    outputZeroPoint: 0,
    ...inputView(common),
    ops,
    tensors,
    steps,
    inputOffset: plan.tensors[0].offset,
    outputOffset: plan.tensors[plan.tensors.length - 1].offset,
    runtimeFiles: [...files].sort(),
  };
  view.flashBytes = constBytes(view);
  view.banner = banner(name, sourceHash, [`float32: ${ops.length} ops`]);
  return view;
}

const CTYPE_BYTES: Record<string, number> = {
  int8_t: 1,
  uint16_t: 2,
  int32_t: 4,
  uint32_t: 4,
  int64_t: 8,
  float: 4,
};

/** Bytes of one constant array. */
export function arrayBytes(a: ArrayView): number {
  const count = a.dims.match(/\d+/g)!.reduce((p, d) => p * Number(d), 1);
  return count * CTYPE_BYTES[a.ctype];
}

/** Bytes of an op's parameter struct. */
export function paramsBytes(op: OpView): number {
  return op.params === null ? 0 : op.params.type === "nn_table_s16_params_t" ? 136 : 44;
}

/** Bytes of constant data (arrays, parameter structs, standardisation, class names) the model puts in flash. */
function constBytes(v: ModelView): number {
  let bytes = 0;
  for (const op of v.ops) {
    for (const a of op.arrays) bytes += arrayBytes(a);
    bytes += paramsBytes(op);
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

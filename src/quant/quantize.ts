/**
 * Post-training quantization: from a float model and calibration rows to an integer program (QModel).
 *
 * The model is lowered to ops once (src/graph/lower.ts); each op is then quantized by its kind in graph
 * order, given the quantizations of its inputs, the calibrated range of its output, and the codes the
 * integer program so far gives on the calibration rows, so that each op's rounding can compensate the
 * error the ops before it left. Tensors: int8 asymmetric (scale, zero point) from the calibrated range,
 * which always includes 0; int16 symmetric (zero point 0). Tables shared by identical activations are
 * stored once.
 */
import { createHash } from "node:crypto";
import { CODE_RANGE, type Precision, type QuantParams } from "../core/quant.js";
import { sizeOf } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { lowerModel } from "../model/io.js";
import type { ModelFile } from "../model/schema.js";
import { getOpFacet } from "../ops/index.js";
import type { FloatOp, QuantizeContext } from "../ops/registry.js";
import { makeProgram, type Program, quantizeInput, runOp } from "../reference/integer.js";
import { VERSION } from "../version.js";
import { type Calibration, type CalibrationOptions, calibrate, defaultCalibration } from "./calibrate.js";
import { checkQModel } from "./check.js";
import { measureTableError, tableKey } from "./lut.js";
import { rangeQuant } from "./range.js";
import {
  INPUT_TENSOR,
  QMODEL_FORMAT,
  QMODEL_VERSION,
  type QModel,
  type QOp,
  type QTensor,
} from "./schema.js";
import { measureSoftmaxTable } from "./softmax.js";
import type { QTable } from "./tables.js";

export interface QuantizeOptions {
  precision: Precision;
  /** default: defaultCalibration(precision) */
  calibration?: CalibrationOptions;
  /** drop a final softmax: outputs are logits, the class is their argmax */
  argmax?: boolean;
  /** every tensor's range is the calibrated one times this factor (default int8 1, int16 4) */
  rangeMargin?: number;
  /**
   * choose each weight's rounding to minimise the layer's output error on the calibration rows, and
   * correct each bias for the mean shift that remains (default on)
   */
  optimizeRounding?: boolean;
  /** the float model file's bytes, for the source hash */
  sourceBytes?: Uint8Array | string;
}

export const DEFAULT_RANGE_MARGIN: Record<Precision, number> = { int8: 1, int16: 4 };

export { rangeQuant };

/** The tables of a program being built: identical tables are stored once; each gets its error. */
class TableSet {
  readonly tables: QTable[] = [];
  readonly luts: QModel["luts"] = [];
  private readonly index = new Map<string, number>();

  add(table: QTable, activation: string, f: ((x: number) => number) | null): number {
    const key = tableKey(table);
    const known = this.index.get(key);
    if (known !== undefined) return known;
    this.tables.push(table);
    this.index.set(key, this.tables.length - 1);
    if (table.kind === "softmax_tfl_s8") throw new Error("TensorFlow Lite's softmax is only imported");
    const err =
      table.kind === "table_s8" || table.kind === "table_s16"
        ? measureTableError(table, f!)
        : measureSoftmaxTable(table);
    this.luts.push({ table: this.tables.length - 1, activation, ...err });
    return this.tables.length - 1;
  }
}

export function quantizeModel(
  model: ModelFile,
  x: Float32Array,
  rows: number,
  options: QuantizeOptions,
  file = "calibration data",
): QModel {
  const { precision } = options;
  const calibration = options.calibration ?? defaultCalibration(precision);
  const g = lowerModel(model);
  const cal = calibrate(model, x, rows, calibration, file, precision === "int8" ? 256 : 65536, [
    g.input.name,
    ...g.ops.map((op) => op.output),
  ]);
  // Inputs in the field stray beyond the calibration rows, and clamping them (or the activations they
  // drive) changes predictions: int16 has bits to spare for wider ranges, int8 has not.
  const margin = options.rangeMargin ?? DEFAULT_RANGE_MARGIN[precision];
  if (!(margin >= 1 && Number.isFinite(margin)))
    throw new UsageError(`range margin ${margin}: expected a number >= 1`);
  const tensorQuant = (name: string, where: string) => {
    const [lo, hi] = cal.ranges.get(name)!;
    return rangeQuant(lo * margin, hi * margin, precision, where);
  };
  const tensors: QTensor[] = [
    {
      name: INPUT_TENSOR,
      shape: [...g.input.shape],
      ...tensorQuant(g.input.name, `${file}: the standardised input`),
    },
  ];
  const quants = new Map<string, QuantParams>([[g.input.name, tensors[0]]]);
  const tables = new TableSet();
  const q: QModel = {
    format: QMODEL_FORMAT,
    version: QMODEL_VERSION,
    generator: `nn2c ${VERSION}`,
    precision,
    sourceHash: createHash("sha256")
      .update(options.sourceBytes ?? JSON.stringify(model))
      .digest("hex"),
    task: model.task,
    inputs: model.inputs,
    output: { ...model.output, kind: model.task === "regression" ? "values" : "probabilities" },
    tensors,
    ops: [],
    outputs: [g.output],
    tables: tables.tables,
    calibration: {
      rows,
      method: calibration.method,
      percentile: calibration.method === "percentile" ? (calibration.percentile ?? 99.99) : undefined,
    },
    luts: tables.luts,
    layerErrors: [],
  };
  // The calibration rows as the integer program sees them, tensor by tensor.
  const codes = new Map<string, Int32Array>([[g.input.name, inputCodes(q, x, rows)]]);
  const program = () => makeProgram(q);
  for (const op of g.ops) {
    const facet = getOpFacet(op.kind);
    const where = `${file}: ${describeOp(op)}`;
    const ctx: QuantizeContext = {
      precision,
      where,
      input: (i) => quants.get(op.inputs[i])!,
      calibratedOutput: () => tensorQuant(op.output, `${file}: output of ${describeOp(op)}`),
      rows,
      floatInput: (i) => cal.values.get(op.inputs[i])!,
      codes: (i) => codes.get(op.inputs[i])!,
      optimizeRounding: options.optimizeRounding !== false,
      addTable: (table, activation, f) => tables.add(table, activation, f),
    };
    const { op: record, output } = facet.quant.quantize(op, ctx);
    q.ops.push(record as QOp);
    quants.set(op.output, { scale: output.scale, zeroPoint: output.zeroPoint });
    tensors.push({
      name: op.output,
      shape: [...op.outputShape],
      scale: output.scale,
      zeroPoint: output.zeroPoint,
    });
    codes.set(op.output, advance(program(), record as QOp, codes, rows));
  }
  if (options.argmax) dropSoftmax(q);
  q.layerErrors = layerErrors(q, cal, codes, rows);
  q.calibration!.tensors = calibratedTensors(q, cal);
  // every program the quantizer writes passes the loader's checks (a failure is a bug of nn2c's)
  try {
    return checkQModel(q, "the quantized model");
  } catch (e) {
    throw new Error(`the quantizer wrote a program its own checks refuse: ${(e as Error).message}`);
  }
}

/** "dense_1 (dense, 32 units, relu)": an op as messages name it. */
function describeOp(op: FloatOp): string {
  const act = op.activation.name === "linear" ? "" : `, ${op.activation.name}`;
  const config = op.config as { units?: number; activation?: string };
  const what = config.units !== undefined ? `${config.units} units` : (config.activation ?? "");
  return `layer '${op.name}' (${op.kind}${what ? ` ${what}` : ""}${act})`;
}

function inputCodes(q: QModel, x: Float32Array, rows: number): Int32Array {
  const cols = q.inputs.names.length;
  const input = { precision: q.precision, inputs: q.inputs, input: q.tensors[0] };
  const codes = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    quantizeInput(input, x.subarray(r * cols, (r + 1) * cols), codes.subarray(r * cols, (r + 1) * cols));
  }
  return codes;
}

/** The op's output codes on every calibration row. */
function advance(p: Program, op: QOp, codes: Map<string, Int32Array>, rows: number): Int32Array {
  const sizes = op.inputs.map((t) => p.size(t));
  const size = p.size(op.output);
  const out = new Int32Array(rows * size);
  for (let r = 0; r < rows; r++) {
    runOp(
      p,
      op,
      op.inputs.map((t, i) => codes.get(t)!.subarray(r * sizes[i], (r + 1) * sizes[i])),
      out.subarray(r * size, (r + 1) * size),
    );
  }
  return out;
}

/** --argmax: the final softmax goes, and its exp table with it unless another op shares it. */
function dropSoftmax(q: QModel): void {
  const last = q.ops[q.ops.length - 1];
  if (q.task !== "classification" || last.kind !== "activation" || last.activation !== "softmax") {
    throw new UsageError("--argmax needs a classifier whose last layer is softmax");
  }
  q.ops.pop();
  q.tensors.pop();
  q.outputs = [last.inputs[0]];
  const table = last.table as number;
  const shared = q.ops.some((op) => op.table === table);
  if (table === q.tables.length - 1 && !shared) {
    q.tables.pop();
    if (q.luts[q.luts.length - 1]?.table === table) q.luts.pop();
  }
  q.output.kind = "logits";
}

/** Per tensor: the range its grid covers, the calibration values it clips, and its rounding error. */
function calibratedTensors(
  q: QModel,
  cal: Calibration,
): NonNullable<NonNullable<QModel["calibration"]>["tensors"]> {
  const { lo: qlo, hi: qhi } = CODE_RANGE[q.precision];
  return q.tensors.map((t) => {
    const name = t.name === INPUT_TENSOR ? cal.inputName : t.name;
    const v = cal.values.get(name)!;
    const lo = (qlo - t.zeroPoint) * t.scale;
    const hi = (qhi - t.zeroPoint) * t.scale;
    let clipped = 0;
    let sq = 0;
    for (const x of v) {
      if (x < lo || x > hi) clipped++;
      const code = Math.min(qhi, Math.max(qlo, Math.round(x / t.scale) + t.zeroPoint));
      sq += ((code - t.zeroPoint) * t.scale - x) ** 2;
    }
    const round = (x: number) => Number(x.toPrecision(6));
    return {
      name: t.name,
      lo: round(lo),
      hi: round(hi),
      clipped: round(clipped / v.length),
      rmsErrorLsb: round(Math.sqrt(sq / v.length) / t.scale),
    };
  });
}

/** Float vs dequantized integer outputs of every op over the calibration rows. */
function layerErrors(
  q: QModel,
  cal: Calibration,
  codes: Map<string, Int32Array>,
  rows: number,
): QModel["layerErrors"] {
  return q.ops.map((op, j) => {
    const t = q.tensors.find((x) => x.name === op.output)!;
    const ref = cal.values.get(op.output)!;
    const got = codes.get(op.output)!;
    const n = rows * sizeOf(t.shape);
    let max = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.abs(t.scale * (got[i] - t.zeroPoint) - ref[i]);
      max = Math.max(max, e);
      sq += e * e;
    }
    const act = op.kind === "dense" && op.activation !== "linear" ? `+${op.activation}` : "";
    return {
      op: j,
      name: `${op.name} ${op.kind === "activation" ? op.activation : op.kind}${act}`,
      maxAbsError: Number(max.toPrecision(6)),
      rmsError: Number(Math.sqrt(sq / n).toPrecision(6)),
      maxErrorLsb: Number((max / t.scale).toPrecision(6)),
    };
  });
}

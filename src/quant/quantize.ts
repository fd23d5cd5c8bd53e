/**
 * Post-training quantization: from a float model and calibration rows to an integer program (QModel).
 *
 * Tensors: int8 asymmetric (scale, zero point) from the calibrated range, which always includes 0;
 * int16 symmetric (zero point 0). Weights int8 symmetric per output channel (int16 uses the "16x8"
 * scheme). relu, relu6, leaky relu and linear are fused into the dense layer before them; sigmoid, tanh
 * and any other elementwise activation become lookup tables; softmax is integer.
 */
import { createHash } from "node:crypto";
import { UsageError } from "../errors.js";
import { getActivation } from "../model/activations.js";
import type { ModelFile } from "../model/schema.js";
import { VERSION } from "../version.js";
import { type Calibration, type CalibrationOptions, calibrate } from "./calibrate.js";
import { inputMoments, quantizeDense } from "./dense.js";
import { quantizeInput, runOp, runProgram } from "./intref.js";
import { buildTableS8, buildTableS16, measureTableError, type QuantParams, tableKey } from "./lut.js";
import {
  CODE_RANGE,
  type Precision,
  QMODEL_FORMAT,
  QMODEL_VERSION,
  type QModel,
  type QOp,
  type SoftmaxQOp,
} from "./schema.js";
import { buildSoftmaxTable, measureSoftmaxTable, softmaxOutputQuant } from "./softmax.js";

export interface QuantizeOptions {
  precision: Precision;
  calibration: CalibrationOptions;
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

/** Fixed output quantization of the bounded activations, as TFLite and CMSIS-NN use them. */
const FIXED_OUTPUT: Record<string, Record<Precision, QuantParams>> = {
  sigmoid: { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
  tanh: { int8: { scale: 1 / 128, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
};

/** Point symmetry of the int16 tables: f(-x) = 2·centre - f(x). */
const SYMMETRY: Record<string, { centre: number }> = { sigmoid: { centre: 0.5 }, tanh: { centre: 0 } };

/** Quantization of a tensor whose values span [lo, hi]. */
export function rangeQuant(lo: number, hi: number, precision: Precision, where: string): QuantParams {
  const a = Math.min(lo, 0);
  const b = Math.max(hi, 0);
  if (!(b - a > 1e-30) || !Number.isFinite(b - a)) {
    throw new UsageError(
      `${where}: the calibration rows give a zero range (every value is ${lo}): use more varied calibration rows`,
    );
  }
  if (precision === "int16") return { scale: Math.fround(Math.max(-a, b) / 32767), zeroPoint: 0 };
  const scale = Math.fround((b - a) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - a / scale)));
  return { scale, zeroPoint };
}

function describe(model: ModelFile, layer: number, what: string): string {
  return `layers[${layer}] (${model.layers[layer].kind} ${what})`;
}

export function quantizeModel(
  model: ModelFile,
  x: Float32Array,
  rows: number,
  options: QuantizeOptions,
  file = "calibration data",
): QModel {
  const { precision } = options;
  const cal = calibrate(model, x, rows, options.calibration, file);
  // Inputs in the field stray beyond the calibration rows, and clamping them (or the activations they
  // drive) changes predictions: int16 has bits to spare for wider ranges, int8 has not.
  const margin = options.rangeMargin ?? DEFAULT_RANGE_MARGIN[precision];
  if (!(margin >= 1 && Number.isFinite(margin)))
    throw new UsageError(`range margin ${margin}: expected a number >= 1`);
  const tensorQuant = (t: number, where: string) =>
    rangeQuant(cal.ranges[t][0] * margin, cal.ranges[t][1] * margin, precision, where);
  const input = tensorQuant(0, `${file}: the standardised input`);
  // The calibration rows as the integer program sees them, advanced op by op, so that each layer's
  // rounding can compensate the error the layers before it left.
  const cols = model.inputs.names.length;
  let codes = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    quantizeInput(
      { precision, inputs: model.inputs, input },
      x.subarray(r * cols, (r + 1) * cols),
      codes.subarray(r * cols, (r + 1) * cols),
    );
  }
  const advance = (op: QOp, inWidth: number, outWidth: number) => {
    const next = new Int32Array(rows * outWidth);
    for (let r = 0; r < rows; r++) {
      runOp(
        tables,
        op,
        codes.subarray(r * inWidth, (r + 1) * inWidth),
        next.subarray(r * outWidth, (r + 1) * outWidth),
      );
    }
    codes = next;
  };
  const dequantized = (q: QuantParams) => Float64Array.from(codes, (c) => q.scale * (c - q.zeroPoint));
  const ops: QOp[] = [];
  const tables: QModel["tables"] = [];
  const tableIndex = new Map<string, number>();
  const luts: QModel["luts"] = [];
  const opTensor: number[] = []; // calibration tensor each op's output corresponds to
  const addTable = (
    table: QModel["tables"][number],
    activation: string,
    f: ((x: number) => number) | null,
  ) => {
    const key = tableKey(table as never);
    const known = tableIndex.get(key);
    if (known !== undefined) return known;
    tables.push(table);
    tableIndex.set(key, tables.length - 1);
    const err = f ? measureTableError(table as never, f) : measureSoftmaxTable(table as never);
    luts.push({ table: tables.length - 1, activation, ...err });
    return tables.length - 1;
  };

  let current = input;
  for (let k = 0; k < cal.steps.length; k++) {
    const step = cal.steps[k];
    const layer = model.layers[step.layer];
    const act = getActivation(step.activation);
    const alpha = layer.alpha ?? 0.2;
    if (step.kind === "dense" && layer.kind === "dense") {
      const next = cal.steps[k + 1];
      const nextHint = next?.kind === "activation" ? getActivation(next.activation).quant({ alpha }) : null;
      const fuse = nextHint && nextHint.kind !== "table" && nextHint.kind !== "softmax";
      const outTensor = fuse ? k + 2 : k + 1;
      const activation = fuse ? next.activation : "linear";
      const where = describe(model, step.layer, `${layer.units} units, ${activation}`);
      const output = tensorQuant(outTensor, `${file}: output of ${where}`);
      ops.push(
        quantizeDense(
          {
            layer: step.layer,
            activation,
            alpha: model.layers[next?.layer ?? step.layer].alpha ?? 0.2,
            hint: fuse ? nextHint : { kind: "linear" },
            weights: layer.weights,
            bias: layer.bias,
            inputStats:
              options.optimizeRounding === false
                ? undefined
                : inputMoments(cal.values[k], dequantized(current), cal.widths[k], rows),
          },
          current,
          output,
          precision,
          `${file}: ${where}`,
        ),
      );
      opTensor.push(outTensor);
      advance(ops[ops.length - 1], cal.widths[k], layer.units);
      current = output;
      if (fuse) k++;
      continue;
    }
    const width = cal.widths[k + 1];
    const hint = act.quant({ alpha });
    if (hint.kind === "softmax") {
      const output = softmaxOutputQuant(precision);
      const table = buildSoftmaxTable(precision, current.scale);
      ops.push({
        kind: "softmax",
        layer: step.layer,
        activation: "softmax",
        width,
        input: current,
        output,
        table: addTable(table as never, "softmax(exp)", null),
      });
      opTensor.push(k + 1);
      advance(ops[ops.length - 1], width, width);
      current = output;
      continue;
    }
    const fx = (v: number) => act.f(v, { alpha });
    const where = describe(model, step.layer, step.activation);
    const output =
      FIXED_OUTPUT[step.activation]?.[precision] ??
      tabulatedRange(fx, current, precision, `${file}: output of ${where}`);
    let table: QModel["tables"][number];
    try {
      table = (
        precision === "int8"
          ? buildTableS8(fx, current, output)
          : buildTableS16(fx, current, output, { symmetry: SYMMETRY[step.activation] })
      ) as never;
    } catch (e) {
      throw new UsageError(
        `${where}: activation '${step.activation}' cannot be tabulated (${(e as Error).message})`,
      );
    }
    ops.push({
      kind: "table",
      layer: step.layer,
      activation: step.activation,
      width,
      input: current,
      output,
      table: addTable(table, step.activation, fx),
    });
    opTensor.push(k + 1);
    advance(ops[ops.length - 1], width, width);
    current = output;
  }

  let outputKind: QModel["output"]["kind"] = model.task === "regression" ? "values" : "probabilities";
  if (options.argmax) {
    if (model.task !== "classification" || ops[ops.length - 1].kind !== "softmax") {
      throw new UsageError("--argmax needs a classifier whose last layer is softmax");
    }
    const softmax = ops.pop() as SoftmaxQOp;
    opTensor.pop();
    // its exp table goes with it (the last one added), unless another op shares it
    const shared = ops.some((op) => op.kind !== "dense" && op.table === softmax.table);
    if (softmax.table === tables.length - 1 && !shared) {
      tables.pop();
      if (luts[luts.length - 1]?.table === softmax.table) luts.pop();
    }
    outputKind = "logits";
  }
  const last = ops[ops.length - 1];
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
    output: { ...model.output, kind: outputKind },
    input,
    outputQuant: last.output,
    ops,
    tables,
    calibration: {
      rows,
      method: options.calibration.method,
      percentile:
        options.calibration.method === "percentile" ? (options.calibration.percentile ?? 99.99) : undefined,
    },
    luts,
    layerErrors: [],
  };
  q.layerErrors = layerErrors(q, cal, x, rows, opTensor);
  return q;
}

/** Output quantization of a tabulated function: the range of f over every input code. */
function tabulatedRange(
  f: (x: number) => number,
  input: QuantParams,
  precision: Precision,
  where: string,
): QuantParams {
  const { lo, hi } = CODE_RANGE[precision];
  let a = Number.POSITIVE_INFINITY;
  let b = Number.NEGATIVE_INFINITY;
  for (let c = lo; c <= hi; c++) {
    const y = f(input.scale * (c - input.zeroPoint));
    if (!Number.isFinite(y))
      throw new UsageError(`${where}: f(${input.scale * (c - input.zeroPoint)}) = ${y}: cannot be tabulated`);
    a = Math.min(a, y);
    b = Math.max(b, y);
  }
  return rangeQuant(a, b, precision, where);
}

/** Float vs dequantized integer outputs of every op over the calibration rows. */
function layerErrors(
  q: QModel,
  cal: Calibration,
  x: Float32Array,
  rows: number,
  opTensor: number[],
): QModel["layerErrors"] {
  const cols = q.inputs.names.length;
  const stats = q.ops.map(() => ({ max: 0, sq: 0, n: 0 }));
  const qin = new Int32Array(cols);
  for (let r = 0; r < rows; r++) {
    quantizeInput(q, x.subarray(r * cols, (r + 1) * cols), qin);
    const outs = runProgram(q, qin);
    q.ops.forEach((op, j) => {
      const t = opTensor[j];
      const w = cal.widths[t];
      const ref = cal.values[t];
      for (let i = 0; i < w; i++) {
        const real = op.output.scale * (outs[j][i] - op.output.zeroPoint);
        const e = Math.abs(real - ref[r * w + i]);
        stats[j].max = Math.max(stats[j].max, e);
        stats[j].sq += e * e;
        stats[j].n++;
      }
    });
  }
  return q.ops.map((op, j) => ({
    op: j,
    name: `layers[${op.layer}] ${op.kind}${op.kind === "dense" && op.activation !== "linear" ? `+${op.activation}` : op.kind === "table" ? ` ${op.activation}` : ""}`,
    maxAbsError: Number(stats[j].max.toPrecision(6)),
    rmsError: Number(Math.sqrt(stats[j].sq / stats[j].n).toPrecision(6)),
    maxErrorLsb: Number((stats[j].max / op.output.scale).toPrecision(6)),
  }));
}

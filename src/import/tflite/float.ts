/**
 * A float32 TensorFlow Lite model as an nn2c float model: each operator written as the Keras layer it
 * computes (a fused activation as an Activation layer after it) in a Functional graph whose edges are
 * the operators' tensors, then built as Keras files are (src/import/float.ts). ADD becomes Add, MEAN over
 * height and width GlobalAveragePooling2D (and a Reshape to [1, 1, C] with keep_dims), LEAKY_RELU
 * LeakyReLU. Weights change layout where Keras' differs from TensorFlow Lite's: CONV_2D's
 * [F, kh, kw, C] becomes Keras' [kh, kw, C, F]; DEPTHWISE_CONV_2D's [1, kh, kw, C·M] is already Keras'
 * [kh, kw, C, M] in memory; FULLY_CONNECTED's [units, inputs] is nn2c's own.
 */
import { UsageError } from "../../errors.js";
import type { ModelFile } from "../../model/schema.js";
import { floatModel } from "../float.js";
import { constantValues, type TfliteModel, type TfliteOperator, type TfliteTensor } from "./read.js";

type Fail = (message: string) => never;

/** Appends a Keras layer named after the operator (plus `suffix` for a second layer of it). */
type Add = (
  className: string,
  config: Record<string, unknown>,
  weights?: Float32Array[],
  suffix?: string,
) => void;

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  /** Keras 2's form: one node, the layers it reads */
  inbound_nodes: [string, 0, 0, Record<string, never>][][];
}

const ACTIVATIONS: Record<string, string> = { NONE: "linear", RELU: "relu", RELU6: "relu6", TANH: "tanh" };

/** Elementwise operators, as the activation they compute. */
const ELEMENTWISE: Record<string, string> = {
  RELU: "relu",
  RELU6: "relu6",
  LOGISTIC: "sigmoid",
  TANH: "tanh",
};

/** Operators that read two computed tensors. */
const BINARY = ["ADD"];

/** The float32 operators nn2c imports. */
export const TFLITE_FLOAT_OPERATORS = [
  "FULLY_CONNECTED",
  "CONV_2D",
  "DEPTHWISE_CONV_2D",
  "AVERAGE_POOL_2D",
  "MAX_POOL_2D",
  "RESHAPE",
  "SOFTMAX",
  "PAD",
  "ADD",
  "MEAN",
  "LEAKY_RELU",
  ...Object.keys(ELEMENTWISE),
];

/** A constant float32 tensor's values. */
function floats(t: TfliteTensor | undefined, fail: Fail): Float32Array {
  if (!t) return fail("an operator input left out: expected weights");
  if (t.type !== "float32") return fail(`weights '${t.name}' are ${t.type}: expected float32`);
  return constantValues(t, fail) as Float32Array;
}

function fused(activation: string, fail: Fail): string {
  const act = ACTIVATIONS[activation];
  if (!act) return fail(`fused activation ${activation}: expected NONE, RELU, RELU6 or TANH`);
  return act;
}

/** The float model of the float32 TensorFlow Lite model `m`, read from `file`. */
export function tfliteFloatModel(m: TfliteModel, file: string): ModelFile {
  const input = m.tensors[m.inputs[0]];
  const layers: KerasLayer[] = [
    {
      class_name: "InputLayer",
      name: "input",
      config: { name: "input", batch_input_shape: [null, ...input.shape.slice(1)] },
      inbound_nodes: [],
    },
  ];
  const weights = new Map<string, Float32Array[]>();
  /** the layer that wrote each tensor computed so far */
  const writer = new Map<number, string>([[input.index, "input"]]);
  for (const op of m.operators) {
    const fail = (message: string): never => {
      throw new UsageError(`${file}: operators[${op.index}] (${op.op}): ${message}`);
    };
    if (!TFLITE_FLOAT_OPERATORS.includes(op.op))
      fail(`nn2c imports ${TFLITE_FLOAT_OPERATORS.join(", ")} from float32 models`);
    const reads = op.inputs.slice(0, BINARY.includes(op.op) ? 2 : 1);
    const y = m.tensors[op.outputs[0]];
    for (const t of [...reads.map((i) => m.tensors[i]), y])
      if (t?.type !== "float32") fail(`tensor '${t?.name}' is ${t?.type}: expected float32`);
    let from = reads.map(
      (i) => writer.get(i) ?? fail(`reads tensor ${i}, which no operator before it wrote`),
    );
    const name = `${op.op.toLowerCase()}_${op.index}`;
    const add: Add = (class_name, config, w, suffix) => {
      const layerName = suffix ? `${name}_${suffix}` : name;
      layers.push({
        class_name,
        name: layerName,
        config: { name: layerName, ...config },
        inbound_nodes: [from.map((l) => [l, 0, 0, {}] as [string, 0, 0, Record<string, never>])],
      });
      from = [layerName];
      if (w) weights.set(layerName, w);
    };
    const activation = (act: string) => {
      if (act !== "linear") add("Activation", { activation: act }, undefined, "activation");
    };
    layer(op, m, fail, add, activation);
    writer.set(y.index, from[0]);
  }
  const output = writer.get(m.outputs[0]);
  if (output === undefined) throw new UsageError(`${file}: no operator writes the model's output`);
  const config = {
    class_name: "Functional",
    config: { name: "tflite", layers, input_layers: [["input", 0, 0]], output_layers: [[output, 0, 0]] },
  };
  return floatModel(
    config,
    file,
    (node, specs) => {
      const w = weights.get(node.name);
      if (!w || w.length < specs.length) throw new Error(`no weights kept for layer ${node.name}`);
      return specs.map((_, k) => w[k]);
    },
    { format: "tflite" },
  );
}

/** Appends the Keras layers of one operator. */
function layer(
  op: TfliteOperator,
  m: TfliteModel,
  fail: Fail,
  add: Add,
  activation: (act: string) => void,
): void {
  const x = m.tensors[op.inputs[0]];
  const y = m.tensors[op.outputs[0]];
  const bias = op.inputs[2] !== undefined && op.inputs[2] >= 0 ? floats(m.tensors[op.inputs[2]], fail) : null;
  const withBias = (kernel: Float32Array) => (bias ? [kernel, bias] : [kernel]);
  const o = op.options;
  if (op.op === "PAD") {
    const p = m.tensors[op.inputs[1]];
    if (p?.type !== "int32" || p.shape.join(",") !== "4,2")
      fail("paddings that are not a constant int32 [4, 2] tensor: expected one");
    const v = constantValues(p, fail);
    if (v[0] !== 0 || v[1] !== 0 || v[6] !== 0 || v[7] !== 0)
      fail("paddings of the batch or the channels: expected height and width only");
    add("ZeroPadding2D", {
      padding: [
        [v[2], v[3]],
        [v[4], v[5]],
      ],
    });
  } else if (o.kind === "conv") {
    const w = m.tensors[op.inputs[1]];
    const values = floats(w, fail);
    const [F, kh, kw, C] = w.shape;
    const common = {
      kernel_size: [kh, kw],
      strides: o.strides,
      padding: o.padding,
      dilation_rate: o.dilation,
      activation: fused(o.activation, fail),
      use_bias: bias !== null,
    };
    if (op.op === "DEPTHWISE_CONV_2D") {
      const M = y.shape[3] / x.shape[3];
      if (!Number.isInteger(M)) fail(`${y.shape[3]} output channels from ${x.shape[3]}: expected a multiple`);
      add("DepthwiseConv2D", { ...common, depth_multiplier: M }, withBias(values));
    } else {
      // [F, kh, kw, C] -> Keras' [kh, kw, C, F]
      const kernel = new Float32Array(values.length);
      for (let f = 0; f < F; f++)
        for (let t = 0; t < kh * kw * C; t++) kernel[t * F + f] = values[f * kh * kw * C + t];
      add("Conv2D", { ...common, filters: F }, withBias(kernel));
    }
  } else if (o.kind === "fully_connected") {
    if (o.keepNumDims) fail("keep_num_dims: expected a 2-D output");
    if (x.shape.length > 2) add("Flatten", {}, undefined, "flatten");
    const w = m.tensors[op.inputs[1]];
    const config = { units: w.shape[0], activation: fused(o.activation, fail), use_bias: bias !== null };
    add("Dense", config, withBias(floats(w, fail)));
  } else if (o.kind === "pool") {
    const pool = { pool_size: o.filter, strides: o.strides, padding: o.padding };
    add(op.op === "MAX_POOL_2D" ? "MaxPooling2D" : "AveragePooling2D", pool);
    activation(fused(o.activation, fail));
  } else if (op.op === "RESHAPE") {
    if (y.shape.length === 2) add("Flatten", {});
    else add("Reshape", { target_shape: y.shape.slice(1) });
  } else if (o.kind === "softmax") {
    if (o.beta !== 1) fail(`beta ${o.beta}: expected a plain softmax (beta 1)`);
    add("Activation", { activation: "softmax" });
  } else if (ELEMENTWISE[op.op]) {
    add("Activation", { activation: ELEMENTWISE[op.op] });
  } else if (o.kind === "leaky_relu") {
    if (!(Number.isFinite(o.alpha) && o.alpha >= 0))
      fail(`alpha ${o.alpha}: expected a finite alpha of 0 or more`);
    add("LeakyReLU", { negative_slope: o.alpha });
  } else if (op.op === "ADD" && o.kind === "activation") {
    const [a, b] = [m.tensors[op.inputs[0]], m.tensors[op.inputs[1]]];
    if (a.shape.join(",") !== y.shape.join(",") || b.shape.join(",") !== y.shape.join(","))
      fail(
        `inputs of shapes [${a.shape}] and [${b.shape}]: expected the output's [${y.shape}] (no broadcasting)`,
      );
    add("Add", {});
    activation(fused(o.activation, fail));
  } else if (o.kind === "reducer") {
    const axes = m.tensors[op.inputs[1]];
    const axis = axes?.type === "int32" && axes.data ? Array.from(constantValues(axes, fail)).sort() : [];
    if (x.shape.length !== 4 || axis.join(",") !== "1,2")
      fail(
        `axes [${axis}] of a tensor of shape [${x.shape}]: expected the mean over height and width, [1, 2]`,
      );
    add("GlobalAveragePooling2D", {});
    if (o.keepDims) add("Reshape", { target_shape: [1, 1, x.shape[3]] }, undefined, "keepdims");
  } else fail("has no options nn2c reads for it");
}

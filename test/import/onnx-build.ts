/**
 * ONNX model files for the tests, encoded by protobufjs with ONNX's schema (the one the reader decodes
 * with): graph inputs and outputs, initializers (inline, or in an external data file), and nodes with
 * attributes; and onnxruntime-web (a dev dependency) to run them.
 */
import * as ort from "onnxruntime-web";
import protobuf from "protobufjs";
import { ONNX_SCHEMA } from "../../src/import/onnx/onnx-schema.js";

const ModelProto = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType("onnx.ModelProto");

export type Attribute = number | number[] | string | { floats: number[] } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, Attribute>;
}

export interface TensorSpec {
  name: string;
  dims: number[];
  values: ArrayLike<number>;
  type?: "float32" | "int64";
  /** kept in this file beside the model (data_location EXTERNAL) */
  external?: string;
}

export interface ModelSpec {
  opset?: number;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  initializers?: TensorSpec[];
  nodes: NodeSpec[];
}

function attribute(name: string, a: Attribute): Record<string, unknown> {
  if (typeof a === "string") return { name, type: 3, s: Buffer.from(a) };
  if (typeof a === "number") return Number.isInteger(a) ? { name, type: 2, i: a } : { name, type: 1, f: a };
  if (Array.isArray(a)) return { name, type: 7, ints: a };
  if ("floats" in a) return { name, type: 6, floats: a.floats };
  return { name, type: 1, f: a.float };
}

const valueInfo = (v: { name: string; shape: (number | string)[] }) => ({
  name: v.name,
  type: {
    tensor_type: {
      elem_type: 1,
      shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) },
    },
  },
});

/** The tensor's TensorProto, and the bytes of its external data file if it has one. */
function tensor(t: TensorSpec): Record<string, unknown> {
  const int64 = t.type === "int64";
  if (t.external)
    return {
      name: t.name,
      dims: t.dims,
      data_type: 1,
      data_location: 1,
      external_data: [{ key: "location", value: t.external }],
    };
  return int64
    ? { name: t.name, dims: t.dims, data_type: 7, int64_data: Array.from(t.values) }
    : { name: t.name, dims: t.dims, data_type: 1, float_data: Array.from(t.values) };
}

/** The little-endian float32 bytes of an external tensor's values. */
export function externalBytes(t: TensorSpec): Buffer {
  return Buffer.from(Float32Array.from(t.values).buffer);
}

export function onnxBytes(spec: ModelSpec): Uint8Array {
  const message = ModelProto.fromObject({
    ir_version: 8,
    producer_name: "nn2c tests",
    opset_import: [{ domain: "", version: spec.opset ?? 13 }],
    graph: {
      name: "test",
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(tensor),
      node: spec.nodes.map((n, k) => ({
        op_type: n.op,
        name: n.name ?? `${n.op}_${k}`,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([name, a]) => attribute(name, a)),
      })),
    },
  });
  return ModelProto.encode(message).finish();
}

/** onnxruntime-web's output for one input of the given shape (batch first): a second float oracle. */
export async function onnxRuntime(
  bytes: Uint8Array,
  x: ArrayLike<number>,
  dims: number[],
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const input = new ort.Tensor("float32", Float32Array.from(x), dims);
  const out = await session.run({ [session.inputNames[0]]: input });
  return out[session.outputNames[0]].data as Float32Array;
}

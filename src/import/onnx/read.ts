/**
 * An ONNX model file decoded by protobufjs with ONNX's own schema (onnx.proto, from ONNX 1.12: IR
 * version 8, opsets up to 17), into plain records: the graph's nodes with their attributes, its inputs
 * and outputs with their shapes, and its constants (initializers, and tensors kept in external data files
 * beside the model) as numbers. What the reader cannot take (a truncated file, a tensor type it does not
 * read, an external-data file that is missing) is refused in one line naming the file and the place.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize } from "node:path";
import protobuf from "protobufjs";
import { UsageError } from "../../errors.js";
import { ONNX_SCHEMA } from "./onnx-schema.js";

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType("onnx.ModelProto");
const TensorProto = root.lookupType("onnx.TensorProto");

/** The element types nn2c reads, by TensorProto.DataType. */
const DATA_TYPES: Record<number, { name: string; bytes: number }> = {
  1: { name: "float32", bytes: 4 },
  2: { name: "uint8", bytes: 1 },
  3: { name: "int8", bytes: 1 },
  5: { name: "int16", bytes: 2 },
  6: { name: "int32", bytes: 4 },
  7: { name: "int64", bytes: 8 },
  9: { name: "bool", bytes: 1 },
  11: { name: "float64", bytes: 8 },
};

/** A constant tensor, its values as numbers (int64 values beyond 2^53 lose precision: shapes never are). */
export interface OnnxTensor {
  name: string;
  type: string;
  dims: number[];
  values: Float64Array;
}

export type OnnxAttribute =
  | { kind: "float"; value: number }
  | { kind: "int"; value: number }
  | { kind: "string"; value: string }
  | { kind: "floats"; value: number[] }
  | { kind: "ints"; value: number[] }
  | { kind: "tensor"; value: OnnxTensor }
  | { kind: "other"; type: string };

export interface OnnxNode {
  /** the node's name, or `<op>_<index>` for an unnamed node */
  name: string;
  index: number;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output: a dimension is a number, a symbolic name (dim_param) or null (unknown). */
export interface OnnxValue {
  name: string;
  type: string;
  shape: (number | string | null)[] | null;
}

export interface OnnxModel {
  irVersion: number;
  /** the version of the default operator set (ai.onnx) */
  opset: number;
  producer: string;
  graphName: string;
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  constants: Map<string, OnnxTensor>;
}

type Message = Record<string, unknown>;

const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

/**
 * The values of a TensorProto (raw_data little-endian, or the typed fields), reading external data
 * relative to `dir`.
 */
function tensorOf(t: Message, where: string, dir: string | null): OnnxTensor {
  const name = String(t.name ?? "");
  const at = `${where}: tensor '${name}'`;
  const dataType = Number(t.data_type ?? 0);
  const type = DATA_TYPES[dataType];
  if (!type)
    throw new UsageError(
      `${at}: element type ${dataType}: expected one of ${Object.values(DATA_TYPES)
        .map((d) => d.name)
        .join(", ")}`,
    );
  const dims = numbers(t.dims);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new UsageError(`${at}: dims [${dims}]: expected sizes of 0 or more`);
  const count = dims.reduce((a, b) => a * b, 1);
  let raw = t.raw_data as Uint8Array | undefined;
  if (t.data_location === "EXTERNAL") raw = externalData(t, at, dir);
  if (raw && raw.length > 0) {
    if (raw.length !== count * type.bytes)
      throw new UsageError(
        `${at}: ${raw.length} bytes of data for ${count} ${type.name} values: expected ${count * type.bytes}`,
      );
    const values = new Float64Array(count);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) values[i] = element(view, i, type.name);
    return { name, type: type.name, dims, values };
  }
  const field =
    type.name === "float32"
      ? t.float_data
      : type.name === "float64"
        ? t.double_data
        : type.name === "int64"
          ? t.int64_data
          : t.int32_data;
  const list = numbers(field);
  if (list.length !== count)
    throw new UsageError(`${at}: ${list.length} values for dims [${dims}]: expected ${count}`);
  return { name, type: type.name, dims, values: Float64Array.from(list) };
}

function element(view: DataView, i: number, type: string): number {
  switch (type) {
    case "float32":
      return view.getFloat32(i * 4, true);
    case "float64":
      return view.getFloat64(i * 8, true);
    case "int64":
      return Number(view.getBigInt64(i * 8, true));
    case "int32":
      return view.getInt32(i * 4, true);
    case "int16":
      return view.getInt16(i * 2, true);
    case "int8":
      return view.getInt8(i);
    default:
      return view.getUint8(i);
  }
}

/** A tensor kept in a file beside the model (data_location EXTERNAL). */
function externalData(t: Message, at: string, dir: string | null): Uint8Array {
  const entries = new Map(
    ((t.external_data as Message[] | undefined) ?? []).map((e) => [String(e.key), String(e.value)]),
  );
  const location = entries.get("location");
  if (!location) throw new UsageError(`${at}: external data without a location: expected one`);
  if (dir === null)
    throw new UsageError(`${at}: data in the external file '${location}': expected a model read from a file`);
  if (isAbsolute(location) || normalize(location).startsWith(".."))
    throw new UsageError(`${at}: external data at '${location}': expected a path inside the model's folder`);
  const file = join(dir, location);
  if (!existsSync(file))
    throw new UsageError(`${at}: external data file '${file}' is missing: expected it beside the model`);
  const bytes = readFileSync(file);
  const offset = Number(entries.get("offset") ?? 0);
  const length = entries.has("length") ? Number(entries.get("length")) : bytes.length - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length))
    throw new UsageError(
      `${at}: bytes ${offset} to ${offset + length} of '${file}', which holds ${bytes.length}: expected a range inside it`,
    );
  return bytes.subarray(offset, offset + length);
}

function attributeOf(a: Message, where: string, dir: string | null): OnnxAttribute {
  switch (a.type) {
    case "FLOAT":
      return { kind: "float", value: Number(a.f ?? 0) };
    case "INT":
      return { kind: "int", value: Number(a.i ?? 0) };
    case "STRING":
      return { kind: "string", value: Buffer.from((a.s as Uint8Array) ?? []).toString("utf8") };
    case "FLOATS":
      return { kind: "floats", value: numbers(a.floats) };
    case "INTS":
      return { kind: "ints", value: numbers(a.ints) };
    case "TENSOR":
      return { kind: "tensor", value: tensorOf(a.t as Message, where, dir) };
    default:
      return { kind: "other", type: String(a.type) };
  }
}

function valueInfo(v: Message): OnnxValue {
  const tensor = (v.type as Message | undefined)?.tensor_type as Message | undefined;
  const elem = Number(tensor?.elem_type ?? 0);
  const shape = tensor?.shape as Message | undefined;
  return {
    name: String(v.name ?? ""),
    type: DATA_TYPES[elem]?.name ?? `type ${elem}`,
    shape: shape
      ? ((shape.dim as Message[] | undefined) ?? []).map((d) =>
          d.dim_value !== undefined
            ? Number(d.dim_value)
            : d.dim_param !== undefined
              ? String(d.dim_param)
              : null,
        )
      : null,
  };
}

/**
 * Decodes the ONNX model `bytes`, read from `file` (external data is looked up beside it; null: bytes
 * with no file).
 */
export function readOnnx(bytes: Uint8Array, file: string, fromFile = true): OnnxModel {
  let message: Message;
  try {
    message = ModelProto.toObject(ModelProto.decode(bytes), {
      longs: Number,
      enums: String,
      bytes: Buffer,
      defaults: false,
    });
  } catch (e) {
    throw new UsageError(
      `${file}: not a whole ONNX model (${(e as Error).message.split("\n")[0]}): expected an ONNX ModelProto file`,
    );
  }
  const graph = message.graph as Message | undefined;
  if (!graph || message.ir_version === undefined)
    throw new UsageError(`${file}: no graph or IR version: expected an ONNX ModelProto file`);
  const opsets = (message.opset_import as Message[] | undefined) ?? [];
  const main = opsets.find((o) => o.domain === undefined || o.domain === "" || o.domain === "ai.onnx");
  if (!main) throw new UsageError(`${file}: no opset of the default domain (ai.onnx): expected one`);
  const dir = fromFile ? dirname(file) : null;
  const constants = new Map<string, OnnxTensor>();
  for (const t of (graph.initializer as Message[] | undefined) ?? [])
    constants.set(String(t.name), tensorOf(t, `${file}: initializer`, dir));
  if (((graph.sparse_initializer as unknown[] | undefined) ?? []).length > 0)
    throw new UsageError(`${file}: sparse initializers: expected dense tensors`);
  const nodes = ((graph.node as Message[] | undefined) ?? []).map((n, index) => {
    const op = String(n.op_type ?? "");
    const name = n.name ? String(n.name) : `${op}_${index}`;
    const where = `${file}: node '${name}' (${op})`;
    return {
      name,
      index,
      op,
      domain: String(n.domain ?? ""),
      inputs: ((n.input as string[] | undefined) ?? []).map(String),
      outputs: ((n.output as string[] | undefined) ?? []).map(String),
      attributes: new Map(
        ((n.attribute as Message[] | undefined) ?? []).map((a) => [
          String(a.name),
          attributeOf(a, where, dir),
        ]),
      ),
    };
  });
  return {
    irVersion: Number(message.ir_version),
    opset: Number(main.version ?? 0),
    producer: [message.producer_name, message.producer_version].filter(Boolean).join(" "),
    graphName: String(graph.name ?? ""),
    nodes,
    // initializers may be listed among the inputs (IR version 3): they are constants, not inputs
    inputs: ((graph.input as Message[] | undefined) ?? [])
      .map(valueInfo)
      .filter((v) => !constants.has(v.name)),
    outputs: ((graph.output as Message[] | undefined) ?? []).map(valueInfo),
    constants,
  };
}

/** A TensorProto file (ONNX's test data: `input_0.pb`, `output_0.pb`). */
export function readOnnxTensor(bytes: Uint8Array, file: string): OnnxTensor {
  let message: Message;
  try {
    message = TensorProto.toObject(TensorProto.decode(bytes), {
      longs: Number,
      enums: String,
      bytes: Buffer,
      defaults: false,
    });
  } catch (e) {
    throw new UsageError(
      `${file}: not a whole ONNX tensor (${(e as Error).message}): expected a TensorProto`,
    );
  }
  return tensorOf(message, file, dirname(file));
}

/**
 * Reads a TensorFlow Lite model (a FlatBuffer with the identifier "TFL3") into plain objects: tensors
 * with their shapes, types and quantization, operators with their codes, options and tensor indices,
 * and the constant buffers. The FlatBuffers runtime reads the bytes; the tables are addressed by the
 * field numbers of TensorFlow Lite's schema (tensorflow/lite/schema/schema.fbs), so no generated code is
 * needed. Every offset is checked against the file's size: a truncated or corrupt file is refused in one
 * line, never read past its end.
 */
import { ByteBuffer } from "flatbuffers";
import { UsageError } from "../../errors.js";

export type TensorType =
  | "float32"
  | "float16"
  | "int32"
  | "uint8"
  | "int64"
  | "string"
  | "bool"
  | "int16"
  | "complex64"
  | "int8"
  | "float64";

const TENSOR_TYPES: TensorType[] = [
  "float32",
  "float16",
  "int32",
  "uint8",
  "int64",
  "string",
  "bool",
  "int16",
  "complex64",
  "int8",
  "float64",
];

/** TensorFlow Lite's BuiltinOperator codes, in order (schema.fbs). */
const BUILTIN = (
  "ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP " +
  "FLOOR FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION " +
  "LOGISTIC LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN " +
  "SOFTMAX SPACE_TO_DEPTH SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD " +
  "UNIDIRECTIONAL_SEQUENCE_RNN GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE " +
  "UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX " +
  "DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER " +
  "GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL " +
  "NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR " +
  "ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL " +
  "FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE " +
  "CEIL REVERSE_V2 ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE " +
  "MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND " +
  "SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL"
).split(" ");

/** The name of a builtin operator code, or BUILTIN_<code> for one this table does not list. */
export function builtinName(code: number): string {
  return BUILTIN[code] ?? `BUILTIN_${code}`;
}

export type Activation = "NONE" | "RELU" | "RELU_N1_TO_1" | "RELU6" | "TANH" | "SIGN_BIT";
const ACTIVATIONS: Activation[] = ["NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"];

export interface Quantization {
  /** one scale and zero point per tensor, or per channel along `dimension` */
  scale: number[];
  zeroPoint: number[];
  dimension: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  type: TensorType;
  /** the constant data (little-endian), or null for a tensor computed at run time */
  data: Uint8Array | null;
  quantization: Quantization | null;
}

/** The options of the operators nn2c reads; others keep only their code. */
export type OperatorOptions =
  | {
      kind: "conv";
      padding: "same" | "valid";
      strides: [number, number];
      dilation: [number, number];
      activation: Activation;
      /** depthwise only */
      depthMultiplier?: number;
    }
  | {
      kind: "pool";
      padding: "same" | "valid";
      strides: [number, number];
      filter: [number, number];
      activation: Activation;
    }
  | { kind: "fully_connected"; activation: Activation; keepNumDims: boolean; weightsFormat: number }
  | { kind: "softmax"; beta: number }
  | { kind: "reshape"; newShape: number[] | null }
  | { kind: "activation"; activation: Activation }
  | { kind: "leaky_relu"; alpha: number }
  | { kind: "reducer"; keepDims: boolean }
  | { kind: "none" };

export interface TfliteOperator {
  index: number;
  op: string;
  version: number;
  /** tensor indices; -1 for an optional input left out */
  inputs: number[];
  outputs: number[];
  options: OperatorOptions;
}

export interface TfliteModel {
  version: number;
  description: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
  /** each distinct operator code and version the model uses, as `nn2c import --json` lists them */
  operatorCodes: { op: string; version: number }[];
}

/**
 * The little-endian values of a constant tensor of int8, int32 or float32, or a refusal (through `fail`)
 * naming the tensor: no constant data, another type, or a size other than its shape's.
 */
export function constantValues(
  t: TfliteTensor,
  fail: (message: string) => never,
): Int8Array | Int32Array | Float32Array {
  if (!t.data) return fail(`tensor '${t.name}' has no constant data: expected weights stored in the file`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  const size = t.type === "int8" ? 1 : t.type === "int32" || t.type === "float32" ? 4 : 0;
  if (size === 0) return fail(`tensor '${t.name}' is ${t.type}: expected int8, int32 or float32 constants`);
  if (t.data.length !== size * n)
    return fail(
      `tensor '${t.name}' holds ${t.data.length} bytes of ${t.type}: its shape [${t.shape}] needs ${size * n}`,
    );
  if (t.type === "int8") return new Int8Array(t.data.buffer, t.data.byteOffset, n);
  const v = new DataView(t.data.buffer, t.data.byteOffset, t.data.length);
  return t.type === "int32"
    ? Int32Array.from({ length: n }, (_, i) => v.getInt32(4 * i, true))
    : Float32Array.from({ length: n }, (_, i) => v.getFloat32(4 * i, true));
}

/** Bounds-checked access to the FlatBuffer's tables, vectors and strings. */
class Reader {
  readonly bb: ByteBuffer;
  readonly size: number;

  constructor(
    bytes: Uint8Array,
    readonly file: string,
  ) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  fail(what: string): never {
    throw new UsageError(
      `${this.file}: a truncated or corrupt TensorFlow Lite file: ${what} (the file has ${this.size} bytes)`,
    );
  }

  check(pos: number, bytes: number, what: string): void {
    if (!(Number.isInteger(pos) && pos >= 0 && pos + bytes <= this.size))
      this.fail(`${what} at byte ${pos} lies outside the file`);
  }

  /** The table whose offset is stored at `at` (uoffset: relative to `at`). */
  table(at: number, what: string): Table {
    this.check(at, 4, what);
    const pos = at + this.bb.readUint32(at);
    this.check(pos, 4, what);
    const vtable = pos - this.bb.readInt32(pos);
    this.check(vtable, 4, `${what}'s field table`);
    const vsize = this.bb.readUint16(vtable);
    this.check(vtable, vsize, `${what}'s field table`);
    return new Table(this, pos, vtable, vsize, what);
  }
}

class Table {
  constructor(
    private readonly r: Reader,
    readonly pos: number,
    private readonly vtable: number,
    private readonly vsize: number,
    readonly what: string,
  ) {}

  /** The absolute position of field `i`, or 0 when the field is absent. */
  private at(i: number, bytes: number): number {
    const slot = 4 + 2 * i;
    if (slot + 2 > this.vsize) return 0;
    const o = this.r.bb.readUint16(this.vtable + slot);
    if (o === 0) return 0;
    this.r.check(this.pos + o, bytes, `${this.what} field ${i}`);
    return this.pos + o;
  }

  has(i: number): boolean {
    return this.at(i, 0) !== 0;
  }

  int32(i: number, fallback = 0): number {
    const p = this.at(i, 4);
    return p ? this.r.bb.readInt32(p) : fallback;
  }

  uint32(i: number, fallback = 0): number {
    const p = this.at(i, 4);
    return p ? this.r.bb.readUint32(p) : fallback;
  }

  int8(i: number, fallback = 0): number {
    const p = this.at(i, 1);
    return p ? this.r.bb.readInt8(p) : fallback;
  }

  uint8(i: number, fallback = 0): number {
    const p = this.at(i, 1);
    return p ? this.r.bb.readUint8(p) : fallback;
  }

  bool(i: number, fallback = false): boolean {
    const p = this.at(i, 1);
    return p ? this.r.bb.readUint8(p) !== 0 : fallback;
  }

  float32(i: number, fallback = 0): number {
    const p = this.at(i, 4);
    return p ? this.r.bb.readFloat32(p) : fallback;
  }

  /** The start and length of the vector in field i (elements of `size` bytes), or null. */
  private vector(i: number, size: number): { start: number; length: number } | null {
    const p = this.at(i, 4);
    if (!p) return null;
    const v = p + this.r.bb.readUint32(p);
    this.r.check(v, 4, `${this.what} field ${i}'s vector`);
    const length = this.r.bb.readUint32(v);
    this.r.check(v + 4, length * size, `${this.what} field ${i}'s ${length} elements`);
    return { start: v + 4, length };
  }

  string(i: number): string {
    const v = this.vector(i, 1);
    if (!v) return "";
    return new TextDecoder().decode(this.r.bb.bytes().subarray(v.start, v.start + v.length));
  }

  bytes(i: number): Uint8Array | null {
    const v = this.vector(i, 1);
    return v ? this.r.bb.bytes().subarray(v.start, v.start + v.length) : null;
  }

  int32s(i: number): number[] | null {
    const v = this.vector(i, 4);
    return v ? Array.from({ length: v.length }, (_, k) => this.r.bb.readInt32(v.start + 4 * k)) : null;
  }

  float32s(i: number): number[] | null {
    const v = this.vector(i, 4);
    return v ? Array.from({ length: v.length }, (_, k) => this.r.bb.readFloat32(v.start + 4 * k)) : null;
  }

  int64s(i: number): bigint[] | null {
    const v = this.vector(i, 8);
    return v ? Array.from({ length: v.length }, (_, k) => this.r.bb.readInt64(v.start + 8 * k)) : null;
  }

  tables(i: number, what: (k: number) => string): Table[] {
    const v = this.vector(i, 4);
    return v ? Array.from({ length: v.length }, (_, k) => this.r.table(v.start + 4 * k, what(k))) : [];
  }

  table(i: number, what: string): Table | null {
    const p = this.at(i, 4);
    return p ? this.r.table(p, what) : null;
  }
}

const padding = (v: number): "same" | "valid" => (v === 0 ? "same" : "valid");
const activation = (v: number, r: Reader, where: string): Activation =>
  ACTIVATIONS[v] ?? r.fail(`${where} has fused activation ${v}, which TensorFlow Lite does not define`);

function optionsOf(op: string, o: Table | null, r: Reader, where: string): OperatorOptions {
  switch (op) {
    case "CONV_2D":
      return {
        kind: "conv",
        padding: padding(o?.int8(0) ?? 0),
        strides: [o?.int32(2, 1) ?? 1, o?.int32(1, 1) ?? 1],
        activation: activation(o?.int8(3) ?? 0, r, where),
        dilation: [o?.int32(5, 1) ?? 1, o?.int32(4, 1) ?? 1],
      };
    case "DEPTHWISE_CONV_2D":
      return {
        kind: "conv",
        padding: padding(o?.int8(0) ?? 0),
        strides: [o?.int32(2, 1) ?? 1, o?.int32(1, 1) ?? 1],
        depthMultiplier: o?.int32(3, 0) ?? 0,
        activation: activation(o?.int8(4) ?? 0, r, where),
        dilation: [o?.int32(6, 1) ?? 1, o?.int32(5, 1) ?? 1],
      };
    case "AVERAGE_POOL_2D":
    case "MAX_POOL_2D":
    case "L2_POOL_2D":
      return {
        kind: "pool",
        padding: padding(o?.int8(0) ?? 0),
        strides: [o?.int32(2, 1) ?? 1, o?.int32(1, 1) ?? 1],
        filter: [o?.int32(4, 1) ?? 1, o?.int32(3, 1) ?? 1],
        activation: activation(o?.int8(5) ?? 0, r, where),
      };
    case "FULLY_CONNECTED":
      return {
        kind: "fully_connected",
        activation: activation(o?.int8(0) ?? 0, r, where),
        weightsFormat: o?.int8(1) ?? 0,
        keepNumDims: o?.bool(2) ?? false,
      };
    case "SOFTMAX":
      return { kind: "softmax", beta: o?.float32(0, 0) ?? 0 };
    case "RESHAPE":
      return { kind: "reshape", newShape: o?.int32s(0) ?? null };
    case "ADD":
    case "SUB":
    case "MUL":
      return { kind: "activation", activation: activation(o?.int8(0) ?? 0, r, where) };
    case "LEAKY_RELU":
      return { kind: "leaky_relu", alpha: o?.float32(0, 0) ?? 0 };
    case "MEAN":
      return { kind: "reducer", keepDims: o?.bool(0) ?? false };
    default:
      return { kind: "none" };
  }
}

/** The model in `bytes`; `file` names it in messages. */
export function readTflite(bytes: Uint8Array, file: string): TfliteModel {
  const r = new Reader(bytes, file);
  if (bytes.length < 8 || !r.bb.__has_identifier("TFL3")) {
    throw new UsageError(
      `${file}: not a TensorFlow Lite model: expected the FlatBuffer identifier "TFL3" at bytes 4 to 7`,
    );
  }
  const model = r.table(0, "the model");
  const codes = model
    .tables(1, (k) => `operator_codes[${k}]`)
    .map((c) => ({
      // the code is the larger of the deprecated byte and the int32 field (schema 3a)
      op: builtinName(Math.max(c.int8(0), c.int32(3))),
      custom: c.string(1),
      version: c.int32(2, 1),
    }));
  const buffers = model
    .tables(4, (k) => `buffers[${k}]`)
    .map((b) => {
      if (b.has(1) || b.has(2))
        r.fail("a buffer stored outside the FlatBuffer (offset and size): models over 2 GB are not read");
      return b.bytes(0);
    });
  const subgraphs = model.tables(2, (k) => `subgraphs[${k}]`);
  if (subgraphs.length !== 1) {
    throw new UsageError(`${file}: ${subgraphs.length} subgraphs: expected a model of one subgraph`);
  }
  const g = subgraphs[0];
  const tensors = g
    .tables(0, (k) => `tensors[${k}]`)
    .map((t, index): TfliteTensor => {
      const typeCode = t.int8(1);
      const type = TENSOR_TYPES[typeCode] ?? r.fail(`tensors[${index}] has type ${typeCode}`);
      const buffer = t.uint32(2);
      if (buffer >= Math.max(buffers.length, 1)) r.fail(`tensors[${index}] reads buffer ${buffer}`);
      const data = buffers[buffer];
      const q = t.table(4, `tensors[${index}].quantization`);
      const scale = q?.float32s(2) ?? null;
      const zeroPoint = q?.int64s(3) ?? null;
      return {
        index,
        name: t.string(3),
        shape: t.int32s(0) ?? [],
        type,
        data: data && data.length > 0 ? data : null,
        quantization:
          scale && scale.length > 0
            ? {
                scale,
                zeroPoint: (zeroPoint ?? scale.map(() => 0n)).map(Number),
                dimension: q?.int32(6) ?? 0,
              }
            : null,
      };
    });
  const index = (k: number, where: string) => {
    if (!(k === -1 || (k >= 0 && k < tensors.length))) r.fail(`${where} names tensor ${k}`);
    return k;
  };
  const operators = g
    .tables(3, (k) => `operators[${k}]`)
    .map((o, k): TfliteOperator => {
      const opcode = o.uint32(0);
      const code = codes[opcode] ?? r.fail(`operators[${k}] has operator code ${opcode}`);
      const op = code.op === "CUSTOM" ? `CUSTOM(${code.custom})` : code.op;
      const where = `operators[${k}] (${op})`;
      return {
        index: k,
        op,
        version: code.version,
        inputs: (o.int32s(1) ?? []).map((i) => index(i, where)),
        outputs: (o.int32s(2) ?? []).map((i) => index(i, where)),
        options: optionsOf(code.op, o.table(4, `${where} options`), r, where),
      };
    });
  const seen = new Set<string>();
  const operatorCodes = operators
    .map((o) => ({ op: o.op, version: o.version }))
    .filter((c) => {
      const key = `${c.op}/${c.version}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return {
    version: model.uint32(0),
    description: model.string(3),
    tensors,
    inputs: (g.int32s(1) ?? []).map((i) => index(i, "the subgraph's inputs")),
    outputs: (g.int32s(2) ?? []).map((i) => index(i, "the subgraph's outputs")),
    operators,
    operatorCodes,
  };
}

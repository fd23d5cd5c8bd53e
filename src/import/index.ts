/**
 * Models trained elsewhere, told apart by their first bytes: HDF5 (Keras 2 `.h5`), zip (Keras 3
 * `.keras`) and TensorFlow.js Layers (`model.json`) become float models; a TensorFlow Lite flatbuffer a float model (float32) or an integer program that keeps its
 * quantization (int8). `openModel` lets
 * every command that takes a model take these files as they are, besides nn2c's own model files.
 */
import { createHash } from "node:crypto";
import type { Exportable } from "../core/exportable.js";
import { UsageError } from "../errors.js";
import { jsonOf, readBinaryFile } from "../files.js";
import { anyModelOf } from "../quant/io.js";
import { readKerasH5 } from "./keras/h5.js";
import { readKeras3 } from "./keras/keras3.js";
import { type LowerOptions, lowerOnnx, type OnnxReport } from "./onnx/lower.js";
import { readOnnx } from "./onnx/read.js";
import { readTfjsModel } from "./tfjs.js";
import { tfliteFloatModel } from "./tflite/float.js";
import { integerPart, tfliteProgram } from "./tflite/program.js";
import { readTflite, type TfliteModel } from "./tflite/read.js";

/** The first 8 bytes of an HDF5 file. */
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

export type ForeignFormat = "keras-h5" | "keras" | "tflite" | "tfjs" | "onnx";

/**
 * The format of a model file nn2c imports, from its first bytes (a TensorFlow.js model.json: JSON with a
 * weightsManifest; an ONNX protobuf: a name ending in .onnx, or the ir_version field first, as every
 * exporter writes it); null for anything else (nn2c's own JSON model files).
 */
export function foreignFormat(bytes: Uint8Array, file = ""): ForeignFormat | null {
  const head = Buffer.from(bytes.subarray(0, 8));
  if (head.equals(HDF5_SIGNATURE)) return "keras-h5";
  // a zip archive: Keras 3's .keras
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return "keras";
  if (head.subarray(4, 8).toString("latin1") === "TFL3") return "tflite";
  // ONNX's ModelProto: field 1 (ir_version), a varint, is key byte 0x08; JSON never starts with it
  if (bytes[0] === 0x08 || file.toLowerCase().endsWith(".onnx")) return "onnx";
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (text.toString("latin1", 0, 64).trimStart().startsWith("{") && text.includes('"weightsManifest"'))
    return "tfjs";
  return null;
}

/** An imported model, and what the reader found (the TensorFlow Lite operators, ONNX's nodes, for reports). */
export type Imported = Exportable & { format: ForeignFormat; tflite?: TfliteModel; onnx?: OnnxReport };

/**
 * Imports `file` (HDF5 or TensorFlow Lite; `bytes` are its contents): refuses in one line, naming the
 * file and the layer or operator, what nn2c does not read.
 */
export async function importModel(
  file: string,
  bytes: Buffer,
  options: LowerOptions = {},
): Promise<Imported> {
  const format = foreignFormat(bytes, file);
  if (format === "onnx") {
    try {
      const { model, report } = lowerOnnx(readOnnx(bytes, file), file, options);
      return { kind: "float", model, format, onnx: report };
    } catch (e) {
      // node and tensor names come from the file: a control character in one must not break the line
      if (e instanceof UsageError) throw new UsageError(e.message.replace(/\p{Cc}/gu, " "));
      throw e;
    }
  }
  if (format === "keras-h5") return { kind: "float", model: await readKerasH5(file), format };
  if (format === "tfjs")
    return { kind: "float", model: readTfjsModel(file, jsonOf(bytes, file, "TensorFlow.js model")), format };
  if (format === "keras") return { kind: "float", model: await readKeras3(file, bytes), format };
  const tflite = readTflite(bytes, file);
  // float32 throughout, or int8 inside a QUANTIZE and a DEQUANTIZE (integerPart)
  const { input } = integerPart(tflite);
  if (tflite.inputs.length === 1 && tflite.tensors[input].type === "float32")
    return { kind: "float", model: tfliteFloatModel(tflite, file), format: "tflite", tflite };
  const model = tfliteProgram(tflite, file, createHash("sha256").update(bytes).digest("hex"));
  return { kind: "quantized", model, format: "tflite", tflite };
}

/** A model file of any kind a command takes: nn2c's float or quantized model, or one to import. */
export async function openModel(file: string): Promise<Exportable> {
  const bytes = readBinaryFile(file, "model file");
  // the file is read once: nn2c's own model files are parsed from the same bytes
  if (foreignFormat(bytes, file) === null) return anyModelOf(jsonOf(bytes, file, "model file"), file);
  const imported = await importModel(file, bytes);
  return imported.kind === "float"
    ? { kind: "float", model: imported.model }
    : { kind: "quantized", model: imported.model };
}

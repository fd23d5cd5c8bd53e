/**
 * The ops of a model as bench and inspect list them: name, kind, a short description, shapes and
 * multiply-accumulates, from each kind (the float model's lowered ops, or the integer program's ops).
 */
import type { Exportable } from "../core/exportable.js";
import type { Shape } from "../core/shape.js";
import { lowerModel } from "../model/io.js";
import { getOp, getOpFacet } from "../ops/index.js";
import { programOf } from "../reference/integer.js";

export interface OpSummary {
  /** the layer it comes from */
  name: string;
  kind: string;
  /** "dense 64 -> 32 relu", "softmax" */
  label: string;
  inputs: Shape[];
  output: Shape;
  macs: number;
}

export function opSummaries(m: Exportable): OpSummary[] {
  if (m.kind === "quantized") {
    const q = m.model;
    const shapes = new Map(q.tensors.map((t) => [t.name, t.shape]));
    const p = programOf(q);
    return q.ops.map((op) => {
      const quant = getOpFacet(op.kind).quant;
      const what = quant.describe(op as never);
      return {
        name: op.name,
        kind: op.kind,
        label: op.kind === "activation" ? what : `${op.kind} ${what}`,
        inputs: op.inputs.map((t) => shapes.get(t)!),
        output: shapes.get(op.output)!,
        macs: quant.macs(op as never, p),
      };
    });
  }
  return lowerModel(m.model).ops.map((op) => {
    const config = op.config as { activation?: string };
    const act = op.activation.name === "linear" ? "" : ` ${op.activation.name}`;
    const label =
      op.kind === "activation"
        ? (config.activation ?? op.kind)
        : `${op.kind} ${op.inputShapes.map((s) => s.join("x")).join(", ")} -> ${op.outputShape.join("x")}${act}`;
    return {
      name: op.name,
      kind: op.kind,
      label,
      inputs: op.inputShapes,
      output: op.outputShape,
      macs: getOp(op.kind).layer.cost(op.config, op.inputShapes, op.outputShape).macs,
    };
  });
}

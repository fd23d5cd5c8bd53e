/**
 * An integer program checked by value, not only by type: the C executes these numbers without looking at
 * them, so everything its safety or its meaning depends on is checked when the file is loaded, in every
 * command. Here the program as a whole: the tensors (unique names, zero points inside the element type),
 * the graph (every op reads tensors written before it and writes one of its own), the output, the class
 * names, the tables' and ops' indices; each op's own record is checked by its kind (src/ops/<kind>/quant.ts:
 * multipliers and shifts in the ranges the kernels take, clamps, shapes, its tables, and the worst-case
 * accumulator recomputed from the integer weights). Each refusal is one line naming the file, the op and
 * the field.
 */
import { CODE_RANGE, type QuantParams } from "../core/quant.js";
import { sizeOf } from "../core/shape.js";
import { UsageError } from "../errors.js";
import { getOpFacet } from "../ops/index.js";
import type { CheckContext } from "../ops/registry.js";
import { clip, repeated, repeatedMessage } from "../values.js";
import { INPUT_TENSOR, type QModel } from "./schema.js";

/** Checks a parsed integer program by value; returns it unchanged, or throws a UsageError. */
export function checkQModel(q: QModel, file: string): QModel {
  function fail(where: string, field: string, message: string): never {
    throw new UsageError(`${file}: ${where}: ${field} ${message}`);
  }
  function top(field: string, message: string): never {
    return fail("the model", field, message);
  }
  const { lo, hi } = CODE_RANGE[q.precision];
  const n = q.inputs.names.length;
  if (q.inputs.mean.length !== n) top("inputs.mean", `has ${q.inputs.mean.length} values: expected ${n}`);
  if (q.inputs.std.length !== n) top("inputs.std", `has ${q.inputs.std.length} values: expected ${n}`);
  const tensors = new Map<string, { quant: QuantParams; size: number }>();
  q.tensors.forEach((t, k) => {
    if (tensors.has(t.name))
      top(`tensors[${k}].name`, `'${clip(t.name, 40)}' is taken: expected a name of its own`);
    if (!(Number.isInteger(t.zeroPoint) && t.zeroPoint >= lo && t.zeroPoint <= hi))
      top(`tensors[${k}].zeroPoint`, `is ${t.zeroPoint}: expected an integer in [${lo}, ${hi}]`);
    tensors.set(t.name, { quant: t, size: sizeOf(t.shape) });
  });
  const input = tensors.get(INPUT_TENSOR);
  if (!input) top("tensors", `has no '${INPUT_TENSOR}' tensor`);
  if (input.size !== n)
    top(`tensors '${INPUT_TENSOR}'`, `holds ${input.size} values: expected ${n}, one per input name`);
  const written = new Set([INPUT_TENSOR]);
  q.ops.forEach((op, k) => {
    const where = `ops[${k}] (${op.kind})`;
    for (const name of op.inputs) {
      if (!tensors.has(name)) fail(where, "inputs", `'${clip(name, 40)}' is no tensor of the program`);
      if (!written.has(name)) fail(where, "inputs", `'${clip(name, 40)}' is not written by an op before it`);
    }
    if (!tensors.has(op.output))
      fail(where, "output", `'${clip(op.output, 40)}' is no tensor of the program`);
    if (written.has(op.output)) fail(where, "output", `'${clip(op.output, 40)}' is written twice`);
    written.add(op.output);
    const ctx: CheckContext = {
      precision: q.precision,
      quant: (name) => tensors.get(name)!.quant,
      size: (name) => tensors.get(name)!.size,
      tables: q.tables,
      fail: (field, message) => fail(where, field, message),
      failTable: (index, field, message) =>
        fail(`tables[${index}] (${q.tables[index].kind})`, field, message),
    };
    getOpFacet(op.kind).quant.check(op as never, ctx);
  });
  const unwritten = q.tensors.find((t) => !written.has(t.name));
  if (unwritten) top("tensors", `'${clip(unwritten.name, 40)}' is written by no op`);
  const out = q.outputs[0];
  if (!tensors.has(out) || out === INPUT_TENSOR)
    top("outputs", `'${clip(out, 40)}' is not the output of an op`);
  const width = tensors.get(out)!.size;
  const classes = q.output.classes;
  if (q.task === "classification") {
    const expected = width === 1 ? 2 : width;
    if (classes?.length !== expected)
      top("output.classes", `has ${classes?.length ?? 0} names: expected ${expected} for ${width} outputs`);
  }
  const twice = repeated(classes ?? []);
  if (twice !== undefined) top("output.classes", repeatedMessage(twice, classes ?? []));
  q.luts.forEach((l, i) => {
    if (!(l.table >= 0 && l.table < q.tables.length))
      top(`luts[${i}].table`, `is ${l.table}: expected the index of a table`);
  });
  q.layerErrors.forEach((e, i) => {
    if (!(e.op >= 0 && e.op < q.ops.length))
      top(`layerErrors[${i}].op`, `is ${e.op}: expected the index of an op`);
  });
  return q;
}

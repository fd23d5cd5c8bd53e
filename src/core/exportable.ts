/** A model any stage after training takes: a float model file, or an integer program. */
import type { ModelFile } from "../model/schema.js";
import type { QModel } from "../quant/schema.js";

export type Exportable = { kind: "float"; model: ModelFile } | { kind: "quantized"; model: QModel };

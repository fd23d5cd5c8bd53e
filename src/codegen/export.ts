/**
 * `exportModel`: renders a model into a self-contained C folder: <name>.h, <name>.c, the runtime
 * files they use (copied from firmware/nn), a CMakeLists.txt with a static library target and a
 * Makefile fragment <name>.mk. Outputs are written to a temporary folder and moved into
 * place, so that a failure leaves nothing half-written; a folder holding files nn2c did not generate is
 * refused unless `force` is set.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Exportable } from "../core/exportable.js";
import { checkModelInputs, type FeatureDefinition } from "../features/definition.js";
import { checkOutputFolder, GENERATED_MARK, writeFilesAtomic } from "../files.js";
import { VERSION } from "../version.js";
import { checkCName } from "./cnames.js";
import { emitModel, type ModelView } from "./emit.js";
import { emitFeatures } from "./features.js";
import { DEFAULT_TEMPLATES, loadTemplates } from "./render.js";

export const RUNTIME_DIR = fileURLToPath(new URL("../../firmware/nn", import.meta.url));

export type { Exportable };

export interface ExportOptions {
  name: string;
  templates?: string;
  /** window features to generate with the model (<name>_features.h/.c) */
  features?: FeatureDefinition;
}

export interface RenderedModel {
  view: ModelView;
  /** constant data of the features (0 without --features), besides the model's view.flashBytes */
  featureFlashBytes: number;
  /** file name → content */
  files: Map<string, string>;
}

/** Renders the C files in memory (no disk writes). */
export function renderModel(m: Exportable, options: ExportOptions, modelFile = "the model"): RenderedModel {
  const name = checkCName(options.name);
  if (options.features) checkModelInputs(options.features, m.model.inputs.names, modelFile);
  const hash = createHash("sha256").update(JSON.stringify(m.model)).digest("hex");
  const view = emitModel(m, name, hash);
  const templates = loadTemplates(options.templates ?? DEFAULT_TEMPLATES);
  const binary = view.classification && view.outputSize === 1;
  const full = { ...view, binary };
  const files = new Map<string, string>();
  files.set(`${name}.h`, templates.render("model.h", full));
  files.set(`${name}.c`, templates.render("model.c", full));
  const runtime = runtimeFiles(view);
  let featureFlashBytes = 0;
  if (options.features) {
    const features = emitFeatures(options.features, name, view.NAME, hash);
    featureFlashBytes = features.flashBytes;
    files.set(`${name}_features.h`, templates.render("features.h", features));
    files.set(`${name}_features.c`, templates.render("features.c", features));
    runtime.push("nn_features_s16.c");
    runtime.sort();
  }
  for (const file of runtime) {
    const src = file.endsWith(".h") ? join(RUNTIME_DIR, "include", file) : join(RUNTIME_DIR, "src", file);
    files.set(file, runtimeBanner(file, hash) + readFileSync(src, "utf8"));
  }
  // build-system glue: a CMake static library target and a Makefile fragment
  const build = {
    name,
    NAME: view.NAME,
    version: VERSION,
    hash,
    cSources: [...files.keys()].filter((f) => f.endsWith(".c")).sort(),
    needsLibm: [...files.keys()].some((f) => /^nn_(sigmoid|tanh|softmax)_f32\.c$/.test(f)),
  };
  files.set("CMakeLists.txt", templates.render("CMakeLists.txt", build));
  files.set(`${name}.mk`, templates.render("model.mk", build));
  return { view, files, featureFlashBytes };
}

function runtimeFiles(view: ModelView): string[] {
  const files = new Set(view.runtimeFiles);
  if (view.integer) files.add("nn_kernels_act.h");
  if (view.classification && view.outputSize > 1) files.add("nn_argmax_f32.c");
  return [...files].sort();
}

function runtimeBanner(file: string, hash: string): string {
  return `/* ${file}: nn runtime, copied by nn2c (${GENERATED_MARK}) for the model with sha256 ${hash.slice(0, 16)}. MIT licence. */\n`;
}

/** Sizes the export reports. */
export interface ExportSummary {
  dir: string;
  files: string[];
  flashBytes: number;
  ramBytes: number;
  precision: string;
}

/**
 * Writes the rendered files into `dir` (created with its missing parents), atomically: all files or none.
 * A folder holding files nn2c did not write is refused unless `force` is set.
 */
export function writeOutputs(rendered: RenderedModel, dir: string, force: boolean): ExportSummary {
  checkOutputFolder(dir, force, "-o");
  writeFilesAtomic([...rendered.files].map(([file, content]) => ({ file: join(dir, file), content })));
  return {
    dir,
    files: [...rendered.files.keys()],
    flashBytes: rendered.view.flashBytes + rendered.featureFlashBytes,
    ramBytes: rendered.view.arenaBytes,
    precision: rendered.view.precision,
  };
}

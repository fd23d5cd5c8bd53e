/**
 * Handlebars for C: compiled with noEscape (HTML escaping has no place in C), strict (a misspelled field
 * fails instead of printing nothing) and knownHelpersOnly (only the built-in block helpers). Templates
 * lay text out; every value arrives preformatted from emit.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { UsageError } from "../errors.js";

export const DEFAULT_TEMPLATES = fileURLToPath(new URL("../../templates", import.meta.url));

export interface Templates {
  dir: string;
  render(name: string, view: object): string;
}

const COMPILE_OPTIONS = { noEscape: true, strict: true, knownHelpersOnly: true } as const;

function listTemplates(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".hbs")) out.push(relative(dir, p).replace(/\\/g, "/"));
    }
  };
  walk(dir);
  return out.sort();
}

/** Loads every template of a folder: partials/<name>.hbs become partials named <name>. */
export function loadTemplates(dir = DEFAULT_TEMPLATES): Templates {
  if (!existsSync(dir)) throw new UsageError(`${dir}: templates folder not found`);
  if (!statSync(dir).isDirectory())
    throw new UsageError(`${dir}: is not a folder (--templates expects a copy of the templates folder)`);
  const hb = Handlebars.create();
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  for (const file of listTemplates(dir)) {
    const source = readFileSync(join(dir, file), "utf8");
    const name = file.replace(/\.hbs$/, "");
    try {
      if (name.startsWith("partials/")) {
        hb.registerPartial(name.slice("partials/".length), hb.compile(source, COMPILE_OPTIONS));
      } else {
        compiled.set(name, hb.compile(source, COMPILE_OPTIONS));
      }
    } catch (e) {
      throw new UsageError(`${join(dir, file)}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return {
    dir,
    render(name, view) {
      const t = compiled.get(name);
      if (!t) throw new UsageError(`${dir}: template ${name}.hbs not found`);
      try {
        return t(view);
      } catch (e) {
        throw new UsageError(`${join(dir, `${name}.hbs`)}: ${renderError(e as Error)}`);
      }
    },
  };
}

/** Handlebars' strict-mode error ('"x" not defined in [object Object] - 12:30') said plainly. */
function renderError(e: Error): string {
  const message = e.message.split("\n")[0];
  const m = /^"(.+)" not defined in .* - (\d+):(\d+)$/.exec(message);
  if (!m) return message;
  return `unknown field "${m[1]}" at line ${m[2]}, column ${Number(m[3]) + 1} (of this template or a partial it includes): templates are strict, every field must be one the generator provides`;
}

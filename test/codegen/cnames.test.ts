/**
 * Names and literals in the generated C: which model names checkCName accepts and rejects, how
 * cString escapes any text (quotes, backslashes, trigraphs, control characters, UTF-8) and cComment
 * neutralises comment delimiters, and that cFloat and cInt print what C reads back exactly. End to end:
 * a model whose class and feature names hold all of these (and a mean of 123456792) exports, compiles
 * under the strict flags with gcc and clang, and prints its class names back byte for byte.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { cComment, cFloat, checkCName, cInt, cString, MAX_NAME_LENGTH } from "../../src/codegen/cnames.js";
import { STRICT_FLAGS } from "../../src/verify/host.js";
import { usageError } from "../usage.js";
import { exportable, makeModel, type Precision, tempDir, writeModel } from "./helpers.js";

const scratch = tempDir("cnames");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function nameError(name: string): string {
  const message = usageError(() => checkCName(name));
  expect(
    message.startsWith(`--name ${/^[\x20-\x7e]*$/.test(name) ? `'${name}'` : JSON.stringify(name)}: `),
  ).toBe(true);
  return message;
}

describe("checkCName", () => {
  it.each([
    "digits",
    "iris_v2",
    "Model",
    "a",
    "x1",
    "nnet",
    "my_nn",
    "a_b_c_",
    "Int8Model",
    "a".repeat(MAX_NAME_LENGTH),
  ])("accepts %j", (name) => {
    expect(checkCName(name)).toBe(name);
  });

  it.each([
    ["int", "keyword"],
    ["while", "keyword"],
    ["_Bool", "identifier"],
    ["restrict", "keyword"],
    ["inline", "keyword"],
    ["_Static_assert", "identifier"],
    ["INT", "keyword"],
    ["While", "keyword"],
    ["bool", "keyword"],
    ["true", "keyword"],
    ["NULL", "keyword"],
    ["main", "keyword"],
    ["errno", "keyword"],
    ["1model", "identifier"],
    ["9", "identifier"],
    ["my-model", "identifier"],
    ["my model", "identifier"],
    ["model.v2", "identifier"],
    ["_private", "identifier"],
    ["", "identifier"],
    ["é", "identifier"],
    ["数字", "identifier"],
    ["a;b", "identifier"],
    ["model\n", "identifier"],
    ["a".repeat(MAX_NAME_LENGTH + 1), "length"],
    ["nn_model", "runtime"],
    ["nn", "runtime"],
    ["NN_x", "runtime"],
    ["Nn_", "runtime"],
  ])("rejects %j (%s)", (name, why) => {
    const message = nameError(name);
    const expected = {
      keyword: `'${name}' is a C keyword or reserved name`,
      identifier: "expected a C identifier: a letter, then letters, digits or _, and no C keyword",
      length: `at most ${MAX_NAME_LENGTH} characters`,
      runtime: "names starting with 'nn_' belong to the nn runtime",
    }[why]!;
    expect(message).toContain(expected);
  });
});

/** Characters a class name may hold that C must not see raw, with the escaped literal cString gives. */
const STRING_CASES: [string, string][] = [
  ["setosa", '"setosa"'],
  ["", '""'],
  ['a"; system("x"); /*', '"a\\"; system(\\"x\\"); /*"'],
  ["back\\slash\\", '"back\\\\slash\\\\"'],
  ["??/", '"\\?\\?/"'],
  ["??=??(??)??'??<??>??!??-", '"\\?\\?=\\?\\?(\\?\\?)\\?\\?\'\\?\\?<\\?\\?>\\?\\?!\\?\\?-"'],
  ["line\nbreak", '"line\\012break"'],
  ["cr\r\ttab", '"cr\\015\\011tab"'],
  ["del\x7f", '"del\\177"'],
  ["é", '"\\303\\251"'],
  ["é1", '"\\303\\2511"'],
  ["数字", '"\\346\\225\\260\\345\\255\\227"'],
  ["%s%n", '"%s%n"'],
  ["*/", '"*/"'],
];

describe("cString", () => {
  it.each(STRING_CASES)("escapes %j as %s", (text, literal) => {
    expect(cString(text)).toBe(literal);
  });

  it("gives printable ASCII only, with no trigraph and no unescaped quote or backslash", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const lit = cString(text);
        expect(lit).toMatch(/^"[\x20-\x7e]*"$/);
        expect(lit).not.toContain("??");
        // every backslash starts an escape: \\ \" \? or three octal digits
        expect(lit.slice(1, -1).replace(/\\(\\|"|\?|[0-7]{3})/g, "")).not.toMatch(/["\\]/);
      }),
      { seed: 3, numRuns: 500 },
    );
  });
});

describe("cComment", () => {
  it.each([
    ["sepal length (cm)", "sepal length (cm)"],
    ["a */ b", "a * / b"],
    ["/* b", "/ * b"],
    ["/*/", "/ * /"],
    ["*/*", "* / *"],
    ["**/", "** /"],
    ["line\nbreak", "line?break"],
    ["é 数字", "? ??"],
  ])("makes %j safe as %j", (text, safe) => {
    expect(cComment(text)).toBe(safe);
  });

  it("never contains a comment delimiter or a non-printable character", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("*", "/", " ", "a", "\n", "é", "?") }), (text) => {
        const c = cComment(text);
        expect(c).toMatch(/^[\x20-\x7e]*$/);
        expect(c).not.toContain("*/");
        expect(c).not.toContain("/*");
      }),
      { seed: 4, numRuns: 500 },
    );
  });
});

describe("cFloat and cInt", () => {
  it.each([
    [0.1, "0.100000001f"],
    [1, "1.00000000f"],
    [-2.5, "-2.50000000f"],
    [0, "0.0f"],
    [-0, "-0.0f"],
    [1e-45, "1.40129846e-45f"],
    [3.4028234663852886e38, "3.40282347e+38f"],
    [123456792, "123456792.0f"],
    [-1e8, "-100000000.0f"],
    [1e9, "1.00000000e+9f"],
  ])("cFloat(%d) is %s", (v, text) => {
    expect(cFloat(v)).toBe(text);
  });

  it("cFloat reads back as the same float32 for any float32", () => {
    fc.assert(
      fc.property(fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.integer()), (v) => {
        const text = cFloat(v);
        expect(text).toMatch(/^-?\d+\.\d+(e[+-]\d+)?f$/);
        expect(Object.is(Math.fround(Number(text.slice(0, -1))), Math.fround(v))).toBe(true);
      }),
      { seed: 5, numRuns: 2000 },
    );
  });

  it("cFloat rejects NaN and values beyond float32", () => {
    expect(() => cFloat(Number.NaN)).toThrow(/not finite/);
    expect(() => cFloat(Number.POSITIVE_INFINITY)).toThrow(/not finite/);
    expect(() => cFloat(1e39)).toThrow(/not finite/);
  });

  it.each([
    [0, "int32", "0"],
    [-5, "int32", "-5"],
    [2147483647, "int32", "2147483647"],
    [-2147483648, "int32", "(-2147483647 - 1)"],
    [0, "int64", "0"],
    [-(2 ** 47), "int64", "INT64_C(-140737488355328)"],
    [4294967295, "uint32", "4294967295u"],
  ] as const)("cInt(%d, %s) is %s", (v, type, text) => {
    expect(cInt(v, type)).toBe(text);
  });

  it("cInt rejects unsafe and fractional integers", () => {
    expect(() => cInt(2 ** 53)).toThrow(/not a safe integer/);
    expect(() => cInt(0.5)).toThrow(/not a safe integer/);
  });
});

/** A main that writes every class name followed by a NUL byte. */
function namesMain(name: string): string {
  const N = name.toUpperCase();
  return `#include <stdio.h>

#include "${name}.h"

int main(void)
{
    int i;
    for (i = 0; i < ${N}_CLASS_COUNT; ++i) {
        if (fputs(${name}_class_names[i], stdout) < 0 || fputc(0, stdout) == EOF) {
            return 1;
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
`;
}

describe("class and feature names end to end", () => {
  const classes = STRING_CASES.map(([text]) => text);
  const inputs = ["x */ y", "/* z", "tab\there", "é", "数字", "??/", "a\\", "x*/", "end ??/"];
  const model = makeModel({
    inputs: inputs.length,
    classes,
    layers: [
      { units: 6, activation: "relu" },
      { units: classes.length, activation: "softmax" },
    ],
  });
  model.inputs.names = inputs;
  // a mean with 9 integer digits: a float constant that prints without a decimal point
  model.inputs.mean[0] = 123456792;

  it.each(["int8", "float32"] as Precision[])(
    "%s: compiles with gcc and clang under the strict flags and prints the class names back exactly",
    async (precision) => {
      const name = "Names_2";
      const dir = join(scratch, precision);
      mkdirSync(dir);
      const { sources } = writeModel(exportable(model, precision), name, dir);
      writeFileSync(join(dir, "main.c"), namesMain(name));
      expect(readdirSync(dir)).toContain(`${name}.h`);
      const expected = Buffer.concat(
        classes.map((c) => Buffer.concat([Buffer.from(c, "utf8"), Buffer.of(0)])),
      );
      for (const cc of ["gcc", "clang"]) {
        const exe = join(dir, `names-${cc}`);
        const args = [
          ...STRICT_FLAGS,
          "-O2",
          "-I",
          dir,
          join(dir, "main.c"),
          ...sources.map((s) => join(dir, s)),
        ];
        const built = await execa(cc, [...args, "-o", exe, "-lm"], { reject: false, all: true });
        expect(built.exitCode, `${cc} ${args.join(" ")}\n${built.all}`).toBe(0);
        const run = await execa(exe, [], { encoding: "buffer", reject: false });
        expect(run.exitCode).toBe(0);
        expect(Buffer.from(run.stdout).equals(expected), Buffer.from(run.stdout).toString("utf8")).toBe(true);
      }
    },
  );
});

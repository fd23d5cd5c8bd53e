/** From CSV text to a dataset: task inference, class order, standardisation, stratified splits. */
import { describe, expect, it } from "vitest";
import { parseCsv } from "../../src/data/csv.js";
import {
  computeStandardization,
  datasetFromTable,
  inferTask,
  MAX_INFERRED_CLASSES,
  splitIndices,
  standardize,
  subset,
} from "../../src/data/dataset.js";
import { usageError } from "../usage.js";

/** A CSV with one feature column `x` and the given labels. */
function labelled(labels: string[], file = "l.csv") {
  return parseCsv(`x,label\n${labels.map((l, i) => `${i},${l}`).join("\n")}\n`, file);
}

describe("inferTask", () => {
  it("takes text labels as classes", () => {
    expect(inferTask(labelled(["cat", "dog", "cat"]), 1)).toBe("classification");
  });

  it("takes text as classes even after integers", () => {
    expect(inferTask(labelled(["1", "2", "setosa"]), 1)).toBe("classification");
  });

  it("decides on the non-empty cells: an empty cell does not make classes of a regression target", () => {
    expect(inferTask(labelled(["", "0.5", "1.5"]), 1)).toBe("regression");
  });

  it("takes a few distinct integers as classes", () => {
    expect(inferTask(labelled(["0", "1", "2", "1", "0"]), 1)).toBe("classification");
  });

  it(`takes up to ${MAX_INFERRED_CLASSES} distinct integers as classes, more as a regression target`, () => {
    const few = Array.from({ length: MAX_INFERRED_CLASSES }, (_, i) => String(i));
    const many = Array.from({ length: MAX_INFERRED_CLASSES + 1 }, (_, i) => String(i));
    expect(inferTask(labelled(few), 1)).toBe("classification");
    expect(inferTask(labelled(many), 1)).toBe("regression");
  });

  it("takes real numbers as a regression target", () => {
    expect(inferTask(labelled(["0.5", "1", "2.25"]), 1)).toBe("regression");
  });
});

describe("datasetFromTable", () => {
  it("uses the last column as label and the others as features, in order", () => {
    const ds = datasetFromTable(parseCsv("b,a,y\n1,2,u\n3,4,v\n"));
    expect(ds.featureNames).toEqual(["b", "a"]);
    expect(ds.labelName).toBe("y");
    expect(Array.from(ds.x)).toEqual([1, 2, 3, 4]);
    expect(ds).toMatchObject({ rows: 2, cols: 2, task: "classification" });
  });

  it("takes the label column by name", () => {
    const ds = datasetFromTable(parseCsv("y,a,b\n0,1,2\n1,3,4\n"), { label: "y" });
    expect(ds.featureNames).toEqual(["a", "b"]);
    expect(Array.from(ds.labels)).toEqual([0, 1]);
  });

  it("orders text classes by code point and maps each row to its class index", () => {
    const ds = datasetFromTable(labelled(["b", "B", "a", "b"]));
    expect(ds.classes).toEqual(["B", "a", "b"]);
    expect(Array.from(ds.labels)).toEqual([2, 0, 1, 2]);
  });

  it("orders numeric classes by value, not as text, and merges spellings of one number", () => {
    const ds = datasetFromTable(labelled(["10", "2", "1", "2.0", "10"]));
    expect(ds.classes).toEqual(["1", "2", "10"]);
    expect(Array.from(ds.labels)).toEqual([2, 1, 0, 1, 2]);
  });

  it("reads regression targets as numbers", () => {
    const ds = datasetFromTable(labelled(["0.5", "-1.25", "3"]));
    expect(ds.task).toBe("regression");
    expect(Array.from(ds.targets)).toEqual([0.5, -1.25, 3]);
    expect(ds.labels.length).toBe(0);
  });

  it("follows an explicit task over the inferred one", () => {
    expect(datasetFromTable(labelled(["1", "2", "1"]), { task: "regression" }).task).toBe("regression");
  });

  it("rejects a label column that does not exist, naming file and columns", () => {
    expect(usageError(() => datasetFromTable(labelled(["a", "b"], "f.csv"), { label: "nope" }))).toBe(
      "f.csv: line 1: no label column 'nope' (columns: x, label)",
    );
  });

  it("rejects a single class", () => {
    expect(usageError(() => datasetFromTable(labelled(["a", "a"], "f.csv")))).toMatch(
      /^f\.csv: column 'label': a single class 'a'/,
    );
  });

  it("rejects a file with no feature column", () => {
    expect(usageError(() => datasetFromTable(parseCsv("y\n1\n2\n", "f.csv")))).toMatch(
      /^f\.csv: line 1: no feature columns/,
    );
  });

  it("rejects an empty label cell in a classification file, naming line and column", () => {
    expect(usageError(() => datasetFromTable(labelled(["a", "", "b"], "f.csv")))).toMatch(
      /^f\.csv: line 3, column 'label': .*empty/,
    );
  });

  it("rejects an empty label cell in a regression file instead of turning it into classes", () => {
    const labels = Array.from({ length: 30 }, (_, i) => String(i * 0.25));
    labels[1] = "";
    expect(usageError(() => datasetFromTable(labelled(labels, "f.csv")))).toBe(
      "f.csv: line 3, column 'label': expected a finite number, got an empty cell",
    );
  });

  it("rejects a non-numeric feature, naming line and column", () => {
    expect(usageError(() => datasetFromTable(parseCsv("a,y\n1,u\nx1,v\n", "f.csv")))).toBe(
      "f.csv: line 3, column 'a': expected a finite number, got 'x1'",
    );
  });

  describe("with a model's schema", () => {
    const schema = {
      featureNames: ["a", "b"],
      labelName: "y",
      task: "classification" as const,
      classes: ["u", "v"],
    };

    it("matches feature columns by name, whatever their order in the file", () => {
      const ds = datasetFromTable(parseCsv("y,b,a\nv,2,1\nu,4,3\n"), { schema });
      expect(Array.from(ds.x)).toEqual([1, 2, 3, 4]);
      expect(Array.from(ds.labels)).toEqual([1, 0]);
    });

    it("rejects a class the model does not know", () => {
      expect(usageError(() => datasetFromTable(parseCsv("a,b,y\n1,2,w\n", "t.csv"), { schema }))).toBe(
        "t.csv: line 2, column 'y': unknown class 'w' (known: u, v)",
      );
    });

    it("rejects a missing feature column", () => {
      expect(usageError(() => datasetFromTable(parseCsv("a,y\n1,u\n", "t.csv"), { schema }))).toBe(
        "t.csv: line 1: missing feature column 'b' that the model expects",
      );
    });

    it("accepts a file without the label when asked to", () => {
      const ds = datasetFromTable(parseCsv("a,b\n1,2\n"), { schema, labelOptional: true });
      expect(ds.rows).toBe(1);
      expect(ds.labels.length).toBe(0);
    });
  });
});

describe("computeStandardization", () => {
  it("gives the population mean and standard deviation per column, std 1 for a constant column", () => {
    // column 0: 1, 3, 5 → mean 3, variance (4 + 0 + 4) / 3; column 1 constant 10
    const x = Float32Array.from([1, 10, 3, 10, 5, 10]);
    const norm = computeStandardization(x, 3, 2);
    expect(norm.mean).toEqual([3, 10]);
    expect(norm.std[0]).toBe(Math.fround(Math.sqrt(8 / 3)));
    expect(norm.std[1]).toBe(1);
  });

  it("rounds mean and std to float32", () => {
    const norm = computeStandardization(Float32Array.from([0.1, 0.2, 0.4]), 3, 1);
    expect(norm.mean[0]).toBe(Math.fround(norm.mean[0]));
    expect(norm.std[0]).toBe(Math.fround(norm.std[0]));
  });
});

describe("standardize", () => {
  it("computes (x - mean) / std per column", () => {
    const x = Float32Array.from([1, 10, 3, 10, 5, 10]);
    const z = standardize(x, 2, { mean: [3, 10], std: [2, 1] });
    expect(Array.from(z)).toEqual([-1, 0, 0, 0, 1, 0]);
  });

  it("gives mean 0 and standard deviation 1 with the computed standardisation", () => {
    const x = Float32Array.from([2.5, -1, 7, 0.25, 3, 3]);
    const z = standardize(x, 1, computeStandardization(x, 6, 1));
    const mean = z.reduce((s, v) => s + v, 0) / 6;
    const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / 6);
    expect(mean).toBeCloseTo(0, 6);
    expect(sd).toBeCloseTo(1, 6);
  });

  it("rounds each step to float32, as the generated C does", () => {
    const x = Float32Array.from([0.7]);
    const norm = { mean: [Math.fround(0.3)], std: [Math.fround(0.9)] };
    const expected = Math.fround(Math.fround(x[0] - norm.mean[0]) / norm.std[0]);
    expect(standardize(x, 1, norm)[0]).toBe(expected);
  });
});

describe("splitIndices", () => {
  // 10 rows of class a, 20 of class b, interleaved
  const labels = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? "a" : "b"));
  const ds = datasetFromTable(labelled(labels));

  it("is deterministic for a seed", () => {
    expect(splitIndices(ds, 0.2, 7)).toEqual(splitIndices(ds, 0.2, 7));
  });

  it("changes with the seed", () => {
    expect(splitIndices(ds, 0.2, 7).held).not.toEqual(splitIndices(ds, 0.2, 8).held);
  });

  it("keeps each class's share in the held-out part (stratified)", () => {
    const { held } = splitIndices(ds, 0.2, 3);
    const heldA = held.filter((r) => ds.labels[r] === 0).length;
    const heldB = held.filter((r) => ds.labels[r] === 1).length;
    expect([heldA, heldB]).toEqual([2, 4]);
  });

  it("partitions the rows, each part in ascending order", () => {
    const { keep, held } = splitIndices(ds, 0.3, 1);
    expect([...keep, ...held].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(keep).toEqual([...keep].sort((a, b) => a - b));
    expect(held).toEqual([...held].sort((a, b) => a - b));
  });

  it("splits regression rows as one group", () => {
    const reg = datasetFromTable(labelled(Array.from({ length: 10 }, (_, i) => String(i + 0.5))));
    expect(splitIndices(reg, 0.3, 0).held).toHaveLength(3);
  });
});

describe("subset", () => {
  it("selects rows with their features and labels", () => {
    const ds = datasetFromTable(parseCsv("a,b,y\n1,2,u\n3,4,v\n5,6,u\n"));
    const s = subset(ds, [2, 0]);
    expect(s.rows).toBe(2);
    expect(Array.from(s.x)).toEqual([5, 6, 1, 2]);
    expect(Array.from(s.labels)).toEqual([0, 0]);
    expect(s.classes).toEqual(["u", "v"]);
  });
});

/** A row-major matrix of float32 values: the form data takes inside nn2c. */
import { UsageError } from "../errors.js";

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export type MatrixLike = Matrix | ArrayLike<ArrayLike<number>>;

export function isMatrix(x: unknown): x is Matrix {
  return typeof x === "object" && x !== null && (x as Matrix).data instanceof Float32Array;
}

/** Accepts nested arrays (`number[][]`) or a Matrix; checks that every row has the same width. */
export function toMatrix(x: MatrixLike, what = "x"): Matrix {
  if (isMatrix(x)) {
    if (x.data.length !== x.rows * x.cols)
      throw new UsageError(`${what}: data length does not match rows x cols`);
    return x;
  }
  const rows = x.length;
  if (rows === 0) throw new UsageError(`${what}: no rows`);
  const cols = x[0].length;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = x[r];
    if (row.length !== cols)
      throw new UsageError(`${what}: row ${r} has ${row.length} values, expected ${cols}`);
    for (let c = 0; c < cols; c++) data[r * cols + c] = row[c];
  }
  return { rows, cols, data };
}

/** Matrix rows as nested arrays. */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.rows; r++) out.push(Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
  return out;
}

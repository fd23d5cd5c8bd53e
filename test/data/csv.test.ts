/** CSV reading: csv-parse does the quoting, CRLF and BOM; our errors name the file, the line and the column. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCsv, parseNumberCell, readCsv } from "../../src/data/csv.js";
import { usageError } from "../usage.js";

describe("parseCsv", () => {
  it("keeps commas inside quoted fields", () => {
    const t = parseCsv('a,b,label\n"1,5",2,"x, y"\n3,4,z\n', "q.csv");
    expect(t.header).toEqual(["a", "b", "label"]);
    expect(t.rows).toEqual([
      ["1,5", "2", "x, y"],
      ["3", "4", "z"],
    ]);
  });

  it("reads CRLF line endings and numbers lines from 1 with the header", () => {
    const t = parseCsv("a,b\r\n1,2\r\n3,4\r\n", "crlf.csv");
    expect(t.header).toEqual(["a", "b"]);
    expect(t.rows).toEqual([
      ["1", "2"],
      ["3", "4"],
    ]);
    expect(t.lines).toEqual([2, 3]);
  });

  it("drops a UTF-8 byte order mark from the first column name", () => {
    const t = parseCsv("\uFEFFa,b\n1,2\n");
    expect(t.header).toEqual(["a", "b"]);
  });

  it("skips empty lines but keeps the line numbers of the file", () => {
    const t = parseCsv("a,b\n1,2\n\n3,4\n");
    expect(t.lines).toEqual([2, 4]);
  });

  it("trims spaces around fields", () => {
    expect(parseCsv("a , b\n 1 , 2 \n").rows).toEqual([["1", "2"]]);
  });

  it("rejects an empty file", () => {
    expect(usageError(() => parseCsv("", "e.csv"))).toBe(
      "e.csv: empty CSV: expected a header row and data rows",
    );
  });

  it("rejects a header without data rows", () => {
    expect(usageError(() => parseCsv("a,b\n", "h.csv"))).toMatch(/^h\.csv: no data rows/);
  });

  it("rejects a ragged row, naming its line", () => {
    expect(usageError(() => parseCsv("a,b,c\n1,2,3\n4,5\n", "r.csv"))).toBe(
      "r.csv: line 3: 2 fields, expected 3 as in the header",
    );
  });

  it("rejects a row with too many fields", () => {
    expect(usageError(() => parseCsv("a,b\n1,2,3\n", "r.csv"))).toMatch(/^r\.csv: line 2: 3 fields/);
  });

  it("rejects an empty or repeated column name", () => {
    expect(usageError(() => parseCsv("a,,c\n1,2,3\n", "n.csv"))).toMatch(/^n\.csv: line 1: .*empty/);
    expect(usageError(() => parseCsv("a,b,a\n1,2,3\n", "n.csv"))).toMatch(/^n\.csv: line 1: .*'a'/);
  });

  it("turns a quoting error into one line naming the file", () => {
    expect(usageError(() => parseCsv('a,b\n1,"x"y\n', "u.csv"))).toMatch(/^u\.csv: line 2: malformed CSV/);
  });

  it("names the line where an unclosed quote opened, not the end of the file", () => {
    const text = 'a,b\n1,2\n\n3,"4\n5,6\n7,8\n';
    expect(usageError(() => parseCsv(text, "q.csv"))).toBe(
      'q.csv: line 4: a quote opened in this row is never closed: expected a closing "',
    );
    expect(usageError(() => parseCsv('a,"b\n1,2\n', "q.csv"))).toMatch(/^q\.csv: line 1: a quote/);
  });
});

describe("parseNumberCell", () => {
  const table = parseCsv("x,y\n1.5,-2e3\nNaN,Infinity\n,abc\n-Infinity,0x\n", "n.csv");

  it("reads finite numbers", () => {
    expect(parseNumberCell(table, 0, 0)).toBe(1.5);
    expect(parseNumberCell(table, 0, 1)).toBe(-2000);
  });

  it.each([
    [1, 0, "line 3, column 'x': expected a finite number, got 'NaN'"],
    [1, 1, "line 3, column 'y': expected a finite number, got 'Infinity'"],
    [2, 0, "line 4, column 'x': expected a finite number, got an empty cell"],
    [2, 1, "line 4, column 'y': expected a finite number, got 'abc'"],
    [3, 0, "line 5, column 'x': expected a finite number, got '-Infinity'"],
    [3, 1, "line 5, column 'y': expected a finite number, got '0x'"],
  ])("rejects row %i column %i, naming file, line and column", (row, col, message) => {
    expect(usageError(() => parseNumberCell(table, row, col))).toBe(`n.csv: ${message}`);
  });
});

describe("readCsv", () => {
  const dir = mkdtempSync(join(tmpdir(), "nn2c-csv-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a file", () => {
    const file = join(dir, "ok.csv");
    writeFileSync(file, "a,b\n1,2\n");
    expect(readCsv(file)).toMatchObject({ file, header: ["a", "b"], rows: [["1", "2"]] });
  });

  it("rejects a missing file, naming it", () => {
    const file = join(dir, "missing.csv");
    expect(usageError(() => readCsv(file))).toBe(`${file}: cannot read CSV (no such file)`);
  });

  it("rejects a folder", () => {
    expect(usageError(() => readCsv(dir))).toBe(`${dir}: cannot read CSV (is a folder)`);
  });
});

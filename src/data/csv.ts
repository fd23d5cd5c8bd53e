/**
 * Reading CSV files users hand in: a header row, then one sample per row.
 *
 * Parsing (quotes, CRLF, a BOM) is csv-parse's job; this file turns its failures and ours into one line
 * that names the file, the line and the column.
 */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { UsageError } from "../errors.js";

export interface CsvTable {
  file: string;
  header: string[];
  /** data rows as text, without the header */
  rows: string[][];
  /** 1-based line in the file where each data row starts (for error messages) */
  lines: number[];
}

export function readCsv(file: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? "unreadable");
    throw new UsageError(`${file}: cannot read CSV (${why})`);
  }
  return parseCsv(text, file);
}

export function parseCsv(text: string, file = "<csv>"): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const err = e as { message?: string; lines?: number };
    const where = err.lines ? `line ${err.lines}` : "file";
    throw new UsageError(
      `${file}: ${where}: malformed CSV (${(err.message ?? "parse error").replace(/\s+/g, " ")})`,
    );
  }
  if (records.length === 0) throw new UsageError(`${file}: empty CSV: expected a header row and data rows`);
  const header = records[0].record;
  if (header.some((h) => h === "")) {
    throw new UsageError(`${file}: line 1: header has an empty column name: expected a name per column`);
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new UsageError(`${file}: line 1: column name '${h}' appears twice`);
    seen.add(h);
  }
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    if (record.length !== header.length) {
      throw new UsageError(
        `${file}: line ${info.lines}: ${record.length} fields, expected ${header.length} as in the header`,
      );
    }
    rows.push(record);
    lines.push(info.lines);
  }
  if (rows.length === 0) throw new UsageError(`${file}: no data rows after the header`);
  return { file, header, rows, lines };
}

/** Parses a numeric cell; anything that is not a finite number is an error naming line and column. */
export function parseNumberCell(table: CsvTable, row: number, col: number): number {
  const cell = table.rows[row][col];
  const v = cell === "" ? Number.NaN : Number(cell);
  if (!Number.isFinite(v)) {
    const got = cell === "" ? "an empty cell" : `'${cell}'`;
    throw new UsageError(
      `${table.file}: line ${table.lines[row]}, column '${table.header[col]}': expected a finite number, got ${got}`,
    );
  }
  return v;
}

/**
 * Reading CSV files users hand in: a header row, then one sample per row.
 *
 * Parsing (quotes, CRLF, a BOM) is csv-parse's job; this file turns its failures and ours into one line
 * that names the file, the line and the column.
 */
import { parse } from "csv-parse/sync";
import { UsageError } from "../errors.js";
import { readTextFile } from "../files.js";
import { clip, FLT_MAX } from "../values.js";

export interface CsvTable {
  file: string;
  header: string[];
  /** data rows as text, without the header */
  rows: string[][];
  /** 1-based line in the file where each data row starts (for error messages) */
  lines: number[];
}

export function readCsv(file: string): CsvTable {
  return parseCsv(readTextFile(file, "CSV"), file);
}

type CsvRecord = { record: string[]; info: { lines: number } };

const OPTIONS = {
  bom: true,
  info: true,
  skip_empty_lines: true,
  trim: true,
  relax_column_count: true,
} as const;

/**
 * The line where the row holding an unclosed quote starts: the first non-empty line after the `done`
 * complete records (csv-parse reports the end of the file instead).
 */
function quoteLine(text: string, done: number): number {
  const complete = done > 0 ? (parse(text, { ...OPTIONS, to: done }) as unknown as CsvRecord[]) : [];
  const lines = text.split(/\r?\n/);
  let line = complete.length > 0 ? complete[complete.length - 1].info.lines : 0;
  while (line < lines.length && lines[line].trim() === "") line++;
  return line + 1;
}

export function parseCsv(text: string, file = "<csv>"): CsvTable {
  let records: CsvRecord[];
  try {
    records = parse(text, OPTIONS) as unknown as CsvRecord[];
  } catch (e) {
    const err = e as { message?: string; lines?: number; code?: string; records?: number };
    if (err.code === "CSV_QUOTE_NOT_CLOSED") {
      throw new UsageError(
        `${file}: line ${quoteLine(text, err.records ?? 0)}: a quote opened in this row is never closed: expected a closing "`,
      );
    }
    const where = err.lines ? `line ${err.lines}` : "file";
    throw new UsageError(`${file}: ${where}: malformed CSV (${clip(err.message ?? "parse error", 160)})`);
  }
  if (records.length === 0) throw new UsageError(`${file}: empty CSV: expected a header row and data rows`);
  const header = records[0].record;
  if (header.some((h) => h === "")) {
    throw new UsageError(`${file}: line 1: header has an empty column name: expected a name per column`);
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new UsageError(`${file}: line 1: column name '${clip(h, 40)}' appears twice`);
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

/** Where a cell is, for messages: `file: line L, column 'name'`. */
export function cellPlace(table: CsvTable, row: number, col: number): string {
  return `${table.file}: line ${table.lines[row]}, column '${clip(table.header[col], 40)}'`;
}

/** A cell's text for a message: quoted and cut to a readable length. */
export function shownCell(cell: string): string {
  return cell === "" ? "an empty cell" : `'${clip(cell, 40)}'`;
}

/**
 * Parses a numeric cell; anything that is not a finite number within float32's range (features are
 * float32 from here on) is an error naming the line and the column.
 */
export function parseNumberCell(table: CsvTable, row: number, col: number): number {
  const cell = table.rows[row][col];
  const v = cell === "" ? Number.NaN : Number(cell);
  if (!Number.isFinite(v)) {
    throw new UsageError(`${cellPlace(table, row, col)}: expected a finite number, got ${shownCell(cell)}`);
  }
  if (Math.abs(v) > FLT_MAX) {
    throw new UsageError(
      `${cellPlace(table, row, col)}: ${shownCell(cell)} overflows float32: expected a number within ±3.4e38`,
    );
  }
  return v;
}

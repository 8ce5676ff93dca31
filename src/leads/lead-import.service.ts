import { Injectable } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { RowError, csvRecordToInput, validateRow } from './lead-import.rules';
import { LeadError } from './lead.error';
import { UpsertLeadInput } from './lead.schemas';
import { LeadsRepository } from './leads.repository';

export const IMPORT_MAX_ROWS = 1_000_000;
const BATCH = 1000;
const MAX_REPORTED_ERRORS = 1000;

export type ImportFormat = 'csv' | 'json' | 'ndjson';

export interface ImportReport {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  errors: RowError[];
  /** true when more rows failed than `errors` lists */
  errorsTruncated: boolean;
}

export function importFormat(contentType: string | undefined): ImportFormat {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  throw new LeadError('import_unsupported_format', `Send text/csv, application/json or application/x-ndjson, not "${type || 'nothing'}"`);
}

/**
 * Streams rows in, validates each, and upserts the valid ones in batches while the rest of the
 * file is still arriving. Bad rows are reported by number and never stop the good ones.
 */
@Injectable()
export class LeadImportService {
  constructor(private readonly leads: LeadsRepository) {}

  /**
   * `body` is a stream for CSV and NDJSON, and the parsed value for JSON. A database failure
   * fails the request: the batches before it are stored, and importing the file again is safe.
   */
  async import(body: unknown, format: ImportFormat): Promise<ImportReport> {
    const report: ImportReport = { total: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, errors: [], errorsTruncated: false };
    const batch = new Map<string, UpsertLeadInput>();
    let batchRows = 0;
    // Validation is CPU here and the upsert mostly waits on Postgres, so one batch is written
    // while the next is parsed; never more than one, so writes land in file order.
    let writing: Promise<void> = Promise.resolve();

    const flush = async () => {
      await writing;
      if (batch.size === 0) return;
      const leads = [...batch.values()];
      const rows = batchRows;
      batch.clear();
      batchRows = 0;
      writing = this.leads.upsertMany(leads).then((outcome) => {
        report.created += outcome.created;
        report.updated += outcome.updated;
        report.unchanged += rows - outcome.created - outcome.updated;
      });
      writing.catch(() => undefined); // observed by the next flush
    };
    const fail = (errors: RowError[]) => {
      report.rejected++;
      for (const e of errors) {
        if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push(e);
        else report.errorsTruncated = true;
      }
    };

    try {
      for await (const { row, input } of rows(body, format)) {
        report.total++;
        if (report.total > IMPORT_MAX_ROWS) {
          report.total--;
          throw new LeadError('import_too_large', `An import takes at most ${IMPORT_MAX_ROWS} rows; split the file`);
        }
        if (input instanceof Error) {
          fail([{ row, field: '(row)', message: input.message }]);
          continue;
        }
        const result = validateRow(input, row);
        if (!result.ok) {
          fail(result.errors);
          continue;
        }
        // Two rows for one address in a batch would hit the same row twice in one statement: merge them
        const prev = batch.get(result.lead.email);
        batch.set(result.lead.email, prev ? mergeRows(prev, result.lead) : result.lead);
        if (prev) report.updated++;
        else batchRows++;
        if (batch.size >= BATCH) await flush();
      }
    } catch (e) {
      if (e instanceof LeadError && e.code === 'import_too_large') {
        await flush();
        await writing;
        throw new LeadError(e.code, `${e.message} (the first ${report.created + report.updated + report.unchanged} valid rows were imported)`);
      }
      if (e instanceof LeadError && report.total === 0) throw e;
      fail([{ row: report.total + 1, field: '(file)', message: `stopped reading: ${(e as Error).message ?? String(e)}` }]);
    }
    await flush();
    await writing;
    return report;
  }
}

function mergeRows(a: UpsertLeadInput, b: UpsertLeadInput): UpsertLeadInput {
  const merged: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) if (v !== undefined) merged[k] = v;
  if (a.attributes || b.attributes) merged.attributes = { ...a.attributes, ...b.attributes };
  return merged as UpsertLeadInput;
}

type Row = { row: number; input: unknown };

async function* rows(body: unknown, format: ImportFormat): AsyncGenerator<Row> {
  if (format === 'json') {
    yield* jsonRows(body);
    return;
  }
  if (!(body instanceof Readable)) throw new LeadError('import_malformed', 'The request has no body');
  yield* format === 'csv' ? csvRows(body) : ndjsonRows(body);
}

async function* csvRows(body: Readable): AsyncGenerator<Row> {
  // A malformed record (say, an unclosed quote) is skipped and reported, not fatal: the rows
  // around it still land.
  const parser = body.pipe(parseCsv({ bom: true, skip_empty_lines: true, relax_column_count: true, skip_records_with_error: true }));
  body.on('error', (e) => parser.destroy(e));
  const skipped: Error[] = [];
  parser.on('skip', (e: Error) => skipped.push(e));
  let header: string[] | undefined;
  let row = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (!header) {
      header = record.map((h) => h.trim());
      if (!header.some((h) => h.toLowerCase().replace(/[^a-z]/g, '').startsWith('email'))) {
        throw new LeadError('import_malformed', 'The first line must be a header row with an "email" column');
      }
      continue;
    }
    while (skipped.length) yield { row: ++row, input: new Error(`is not valid CSV: ${skipped.shift()!.message}`) };
    row++;
    if (record.length !== header.length) {
      yield { row, input: new Error(`has ${record.length} fields, the header has ${header.length}`) };
      continue;
    }
    const obj: Record<string, string> = {};
    header.forEach((h, i) => (obj[h] = record[i]));
    yield { row, input: csvRecordToInput(obj) };
  }
  while (skipped.length) yield { row: ++row, input: new Error(`is not valid CSV: ${skipped.shift()!.message}`) };
}

async function* ndjsonRows(body: Readable): AsyncGenerator<Row> {
  let row = 0;
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    row++;
    try {
      yield { row, input: JSON.parse(line) as unknown };
    } catch {
      yield { row, input: new Error('is not valid JSON') };
    }
  }
}

function* jsonRows(parsed: unknown): Generator<Row> {
  const list = Array.isArray(parsed) ? parsed : (parsed as { leads?: unknown } | null)?.leads;
  if (!Array.isArray(list)) throw new LeadError('import_malformed', 'Send a JSON array of leads, or {"leads": [...]}');
  for (let i = 0; i < list.length; i++) yield { row: i + 1, input: list[i] as unknown };
}

import { BenchApp, createApiKey, createDatabase, startApp, withClient } from '../bench-app';
import { BenchOptions, BenchResult, Scenario, perSecond, result, timed } from '../bench';

const NAME = 'import';
const DEFAULT_ROWS = 100_000;
/** Every BAD_EVERY-th row is broken on purpose, so the validation path is exercised at ~1%. */
const BAD_EVERY = 100;
const BASELINE_BATCH = 1000;

/** A valid row as the app should store it; the baseline inserts exactly these values. */
interface LeadRow {
  email: string;
  first_name: string;
  last_name: string;
  company: string;
  job_title: string | null;
  industry: string | null;
  company_size: number | null;
  country: string;
  timezone: string;
  source: string;
  consent: boolean | null;
}
const COLUMNS = ['email', 'first_name', 'last_name', 'company', 'job_title', 'industry', 'company_size', 'country', 'timezone', 'source', 'consent'] as const;

interface ImportReport {
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  errors: unknown[];
  errorsTruncated: boolean;
}

export const importScenario: Scenario = {
  name: NAME,
  description: 'CSV lead import over HTTP (POST /v1/leads/import) vs raw multi-row INSERT via pg',
  run: runImport,
};

async function runImport(opts: BenchOptions): Promise<BenchResult[]> {
  const rows = opts.rows ?? DEFAULT_ROWS;
  const file = generateLeads(rows);
  opts.log(`generated ${rows} rows (${file.valid.length} valid, ${file.bad} bad), ${(file.csv.length / 1024 / 1024).toFixed(1)} MiB of CSV`);

  const db = await createDatabase();
  let bench: BenchApp | undefined;
  try {
    bench = await startApp(db.url);
    const key = await createApiKey(bench.app);
    const url = `${bench.baseUrl}/v1/leads/import`;
    opts.log(`app listening on port ${bench.port}, database ${db.name}`);

    const imported = await timed(() => postCsv(url, key, file.csv));
    const report = imported.result;
    opts.log(
      `import: ${report.total} rows, created ${report.created}, updated ${report.updated}, unchanged ${report.unchanged}, ` +
        `rejected ${report.rejected}; ${report.errors.length} per-row errors reported${report.errorsTruncated ? ' (truncated)' : ''}; ${Math.round(imported.ms)} ms`,
    );
    const stored = await countLeads(db.url);
    const problems = [
      report.created !== file.valid.length && `created ${report.created}, expected ${file.valid.length}`,
      report.rejected !== file.bad && `rejected ${report.rejected}, expected ${file.bad}`,
      stored !== file.valid.length && `leads table holds ${stored} rows, expected ${file.valid.length}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length) throw new Error(`import result is wrong: ${problems.join('; ')}`);

    // Released before the baseline so the app's idle pool does not share the server with it
    await bench.close();

    const raw = await timed(() => rawInsert(db.url, file.valid));
    opts.log(`baseline: raw INSERT of ${file.valid.length} rows in batches of ${BASELINE_BATCH}: ${Math.round(raw.ms)} ms`);

    return [
      result(NAME, 'leads_imported_per_s', perSecond(file.valid.length, imported.ms), 'rows/s', perSecond(file.valid.length, raw.ms)),
      result(NAME, 'import_ms', imported.ms, 'ms', raw.ms),
    ];
  } finally {
    await bench?.close();
    await db.drop();
  }
}

async function postCsv(url: string, key: string, csv: Buffer): Promise<ImportReport> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${key}` },
    body: new Uint8Array(csv.buffer, csv.byteOffset, csv.byteLength),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /v1/leads/import answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as ImportReport;
}

async function countLeads(url: string): Promise<number> {
  return withClient(url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM leads')).rows[0].n));
}

/** The floor the import is judged against: the same rows, no parsing, no validation, no upsert, no indexes. */
async function rawInsert(url: string, rows: readonly LeadRow[]): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(`CREATE TABLE bench_raw_leads (
      email text, first_name text, last_name text, company text, job_title text, industry text,
      company_size integer, country text, timezone text, source text, consent boolean)`);
    const insertSql = (n: number) =>
      `INSERT INTO bench_raw_leads (${COLUMNS.join(', ')}) VALUES ` +
      Array.from({ length: n }, (_, r) => `(${COLUMNS.map((_c, i) => `$${r * COLUMNS.length + i + 1}`).join(', ')})`).join(', ');
    const fullBatch = insertSql(BASELINE_BATCH);
    for (let start = 0; start < rows.length; start += BASELINE_BATCH) {
      const batch = rows.slice(start, start + BASELINE_BATCH);
      const params = batch.flatMap((row) => COLUMNS.map((col) => row[col]));
      await c.query(batch.length === BASELINE_BATCH ? fullBatch : insertSql(batch.length), params);
    }
  });
}

// ---- data -------------------------------------------------------------------------------------

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Elena', 'Farid', 'Grace', 'Hiroshi', 'Ingrid', 'Jamal', 'Katarzyna', 'Liam', 'María', 'Noah', 'Olivia', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tomás', 'Uma', 'Victor', 'Wei', 'Xavier', 'Yuki', 'Zoë', 'Aisha', 'Björn', 'Carmen', 'Dmitri'];
const LAST = ['Müller', 'Smith', "O'Brien", 'García', 'Nguyen', 'Kowalski', 'Rossi', 'Johansson', 'Tanaka', 'Patel', 'Dubois', 'van der Berg', 'Schmidt', 'Jones', 'Silva', 'Kim', 'Novak', 'Andersen', 'López', 'Brown', 'Fischer', 'Martin', 'Okafor', 'Chen', 'Wójcik'];
const BRANDS = ['Northwind', 'Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Cyberdyne', 'Tyrell', 'Wonka', 'Aperture', 'Soylent', 'Stark', 'Wayne', 'Pied Piper', 'Bluth', 'Gringotts', 'Oscorp'];
const TRADES = ['Logistics', 'Analytics', 'Health', 'Labs', 'Systems', 'Foods', 'Capital', 'Robotics', 'Energy', 'Media', 'Software', 'Consulting'];
const LEGAL = ['Inc.', 'GmbH', 'Ltd', '', 'S.A.', 'B.V.', ', Inc.', 'AG', 'LLC', 'AB'];
const TITLES = ['Head of Marketing', 'VP, Sales', 'Marketing Manager', 'CTO', 'Software Engineer', 'Growth Lead', 'Demand Generation Manager', 'CEO', 'Product Manager', 'Director of Operations', 'Account Executive', 'Data Analyst', 'Procurement Specialist', 'HR Business Partner'];
const INDUSTRIES = ['Software', 'Manufacturing', 'Healthcare', 'Financial Services', 'Retail', 'Education', 'Logistics', 'Media & Entertainment', 'Energy', 'Telecommunications', 'Real Estate', 'Government'];
const SOURCES = ['website', 'webinar', 'linkedin', 'trade-show', 'referral', 'content-download', 'google-ads', 'partner'];
const CONSENT = ['yes', 'no', '', 'true', 'opt-in', 'false', 'yes', ''];
const PLACES: readonly [country: string, tld: string, zones: readonly string[]][] = [
  ['US', 'com', ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles']],
  ['GB', 'co.uk', ['Europe/London']],
  ['DE', 'de', ['Europe/Berlin']],
  ['FR', 'fr', ['Europe/Paris']],
  ['NL', 'nl', ['Europe/Amsterdam']],
  ['ES', 'es', ['Europe/Madrid']],
  ['IT', 'it', ['Europe/Rome']],
  ['SE', 'se', ['Europe/Stockholm']],
  ['PL', 'pl', ['Europe/Warsaw']],
  ['CH', 'ch', ['Europe/Zurich']],
  ['IE', 'ie', ['Europe/Dublin']],
  ['CA', 'ca', ['America/Toronto', 'America/Vancouver']],
  ['BR', 'com.br', ['America/Sao_Paulo']],
  ['MX', 'mx', ['America/Mexico_City']],
  ['IN', 'in', ['Asia/Kolkata']],
  ['JP', 'jp', ['Asia/Tokyo']],
  ['SG', 'sg', ['Asia/Singapore']],
  ['AU', 'com.au', ['Australia/Sydney', 'Australia/Melbourne']],
  ['ZA', 'co.za', ['Africa/Johannesburg']],
];
const BAD_EMAILS = (local: string, domain: string) => [`${local}.at.${domain}`, `${local}@@${domain}`, `${local}@${domain.split('.')[0]}`, `${local} x@${domain}`];

/** Seeded so every run imports the same file and runs stay comparable. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');

const csvCell = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function generateLeads(rows: number): { csv: Buffer; valid: LeadRow[]; bad: number } {
  const rnd = mulberry32(0x5eed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const lines = [COLUMNS.join(',')];
  const valid: LeadRow[] = [];
  let bad = 0;
  for (let i = 0; i < rows; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const brand = pick(BRANDS);
    const trade = pick(TRADES);
    const legal = pick(LEGAL);
    const [country, tld, zones] = pick(PLACES);
    const domain = `${ascii(brand)}-${ascii(trade)}.${tld}`;
    const local = `${ascii(first)}.${ascii(last)}.${i}`;
    const consentCell = pick(CONSENT);
    const row: LeadRow = {
      email: `${local}@${domain}`,
      first_name: first,
      last_name: last,
      company: legal.startsWith(',') ? `${brand} ${trade}${legal}` : `${brand} ${trade} ${legal}`.trimEnd(),
      job_title: rnd() < 0.05 ? null : pick(TITLES),
      industry: rnd() < 0.05 ? null : pick(INDUSTRIES),
      // log-uniform from 1 to ~50k employees, like a real mix of startups and enterprises
      company_size: rnd() < 0.03 ? null : Math.round(10 ** (rnd() * 4.7)),
      country,
      timezone: pick(zones),
      source: pick(SOURCES),
      consent: consentCell === '' ? null : ['yes', 'true', 'opt-in'].includes(consentCell),
    };
    const cells: Record<(typeof COLUMNS)[number], string | number | null> = { ...row, consent: consentCell };
    if (i % BAD_EVERY === BAD_EVERY - 1) {
      bad++;
      const kind = Math.floor(i / BAD_EVERY) % 3;
      if (kind === 0) cells.email = pick(BAD_EMAILS(local, domain));
      else if (kind === 1) cells.company_size = -1 - Math.floor(rnd() * 500);
      else cells.timezone = pick(['Mars/Olympus_Mons', 'Europe/Atlantis', 'GMT+25', 'Berlin']);
    } else {
      valid.push(row);
    }
    lines.push(COLUMNS.map((c) => csvCell(cells[c])).join(','));
  }
  return { csv: Buffer.from(`${lines.join('\n')}\n`, 'utf8'), valid, bad };
}

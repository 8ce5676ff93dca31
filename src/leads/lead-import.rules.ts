import { z } from 'zod';
import { UpsertLeadInput, upsertLeadSchema } from './lead.schemas';

export interface RowError {
  /** 1-based data row (CSV: the header is not counted, so row 1 is line 2 of the file) */
  row: number;
  field: string;
  message: string;
}

export type RowResult = { ok: true; lead: UpsertLeadInput } | { ok: false; errors: RowError[] };

const FIELD_BY_HEADER: Record<string, keyof UpsertLeadInput> = {
  email: 'email',
  emailaddress: 'email',
  firstname: 'firstName',
  givenname: 'firstName',
  lastname: 'lastName',
  surname: 'lastName',
  familyname: 'lastName',
  company: 'company',
  companyname: 'company',
  organization: 'company',
  jobtitle: 'jobTitle',
  title: 'jobTitle',
  industry: 'industry',
  companysize: 'companySize',
  employees: 'companySize',
  country: 'country',
  timezone: 'timezone',
  tz: 'timezone',
  locale: 'locale',
  language: 'locale',
  source: 'source',
  consent: 'consent',
  attributes: 'attributes',
};

/** "First Name", "first_name" and "firstName" all mean firstName; unknown columns become attributes. */
export function headerToField(header: string): keyof UpsertLeadInput | undefined {
  return FIELD_BY_HEADER[header.toLowerCase().replace(/[^a-z0-9]/g, '')];
}

const TRUE = new Set(['true', 'yes', 'y', '1', 'opt-in', 'optin']);
const FALSE = new Set(['false', 'no', 'n', '0', 'opt-out', 'optout']);

/** CSV cells are strings: turn them into the types the lead schema expects, keeping bad values for the schema to reject. */
export function csvRecordToInput(record: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [header, rawValue] of Object.entries(record)) {
    const value = (rawValue ?? '').trim();
    const field = headerToField(header);
    if (!field) {
      if (value !== '' && header.trim() !== '') attributes[header.trim()] = value;
      continue;
    }
    if (value === '') continue;
    switch (field) {
      case 'companySize': {
        const n = Number(value.replace(/[\s,_']/g, ''));
        input[field] = Number.isFinite(n) ? n : value;
        break;
      }
      case 'consent': {
        const v = value.toLowerCase();
        input[field] = TRUE.has(v) ? true : FALSE.has(v) ? false : value;
        break;
      }
      case 'attributes':
        try {
          Object.assign(attributes, JSON.parse(value) as Record<string, unknown>);
        } catch {
          input[field] = value;
        }
        break;
      default:
        input[field] = value;
    }
  }
  if (Object.keys(attributes).length > 0 && input.attributes === undefined) input.attributes = attributes;
  return input;
}

const importRowSchema = upsertLeadSchema.strip();

export function validateRow(input: unknown, row: number): RowResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ row, field: '(row)', message: 'must be an object' }] };
  }
  const parsed = importRowSchema.safeParse(input);
  if (parsed.success) return { ok: true, lead: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((i: z.core.$ZodIssue) => ({ row, field: i.path.map(String).join('.') || '(row)', message: i.message })) };
}

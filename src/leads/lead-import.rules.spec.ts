import { csvRecordToInput, headerToField, validateRow } from './lead-import.rules';

describe('lead import rules', () => {
  it('maps common header spellings to fields', () => {
    expect(headerToField('First Name')).toBe('firstName');
    expect(headerToField('first_name')).toBe('firstName');
    expect(headerToField('E-Mail Address')).toBe('email');
    expect(headerToField('Employees')).toBe('companySize');
    expect(headerToField('favourite colour')).toBeUndefined();
  });

  it('converts CSV cells and keeps unknown columns as attributes', () => {
    expect(csvRecordToInput({ Email: ' A@B.com ', 'Company Size': '1,200', consent: 'yes', 'Favourite colour': 'teal', country: '' })).toEqual({
      email: 'A@B.com',
      companySize: 1200,
      consent: true,
      attributes: { 'Favourite colour': 'teal' },
    });
  });

  it('accepts a valid row and normalises the email', () => {
    const r = validateRow({ email: ' Jane@Example.COM', country: 'de', timezone: 'Europe/Berlin' }, 1);
    expect(r).toEqual({ ok: true, lead: { email: 'jane@example.com', country: 'DE', timezone: 'Europe/Berlin' } });
  });

  it('reports every bad field with the row number', () => {
    const r = validateRow(csvRecordToInput({ email: 'not-an-email', companySize: 'lots', timezone: 'Mars/Olympus', consent: 'maybe' }), 7);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.field).sort()).toEqual(['companySize', 'consent', 'email', 'timezone']);
    expect(r.errors.every((e) => e.row === 7 && e.message.length > 0)).toBe(true);
  });

  it('rejects rows that are not objects', () => {
    expect(validateRow('x', 3)).toEqual({ ok: false, errors: [{ row: 3, field: '(row)', message: 'must be an object' }] });
  });
});

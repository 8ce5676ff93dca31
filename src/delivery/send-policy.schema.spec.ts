import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatProblem } from '../common/yaml-model';
import { DEFAULT_SEND_POLICY, parseSendPolicy } from './send-policy.schema';

const SHIPPED = resolve(__dirname, '../../workflows/policy.yaml');

const VALID = `quietHours: { from: '20:00', to: '08:00' }
allowedDays: [mon, tue, wed, thu, fri]
defaultTimezone: Europe/Berlin
frequencyCap: { max: 3, per: 7d }
`;

function problems(source: string): string[] {
  const r = parseSendPolicy(source, 'workflows/policy.yaml');
  if (r.ok) throw new Error('expected problems');
  return r.problems.map(formatProblem);
}

function policy(source: string) {
  const r = parseSendPolicy(source, 'workflows/policy.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.policy;
}

describe('parseSendPolicy', () => {
  it('parses the shipped workflows/policy.yaml into the same policy as the default, so deleting the file changes nothing', () => {
    expect(policy(readFileSync(SHIPPED, 'utf8'))).toEqual(DEFAULT_SEND_POLICY);
  });

  it('keeps the default policy from being changed by accident', () => {
    expect(Object.isFrozen(DEFAULT_SEND_POLICY) && Object.isFrozen(DEFAULT_SEND_POLICY.allowedDays)).toBe(true);
  });

  it('normalizes days (any case, full names, duplicates) to sorted numbers with 0 = Sunday, and pads times', () => {
    const p = policy(VALID.replace('[mon, tue, wed, thu, fri]', '[Sunday, sat, MON, mon]').replace(`'08:00'`, `'8:00'`));
    expect(p.allowedDays).toEqual([0, 1, 6]);
    expect(p.quietHours).toEqual({ from: '20:00', to: '08:00' });
  });

  it('reads unquoted times and durations in other units', () => {
    const p = policy(VALID.replace(`{ from: '20:00', to: '08:00' }`, '{ from: 21:30, to: 07:00 }').replace('per: 7d', 'per: 2w'));
    expect(p.quietHours).toEqual({ from: '21:30', to: '07:00' });
    expect(p.frequencyCap).toEqual({ max: 3, perMs: 14 * 86_400_000 });
  });

  it('switches quiet hours and the cap off with none', () => {
    const p = policy(VALID.replace(`{ from: '20:00', to: '08:00' }`, 'none').replace('{ max: 3, per: 7d }', 'none'));
    expect(p).toMatchObject({ quietHours: null, frequencyCap: null, reserveLastSlotForPriority: null });
  });

  it('reads reserveLastSlotForPriority', () => {
    expect(policy(`${VALID}reserveLastSlotForPriority: 20\n`).reserveLastSlotForPriority).toBe(20);
  });

  it('reports each wrong value at its own line, with what to write instead', () => {
    expect(problems(`quietHours: { from: '20:00', to: 8 }\nallowedDays: [mon, funday]\ndefaultTimezone: Europe/Berln\nfrequencyCap: { max: 0, per: 1m }\n`)).toEqual([
      "workflows/policy.yaml:1: quietHours.to: a time like '08:00' (24-hour clock)",
      'workflows/policy.yaml:2: allowedDays.1: a day: mon, tue, wed, thu, fri, sat or sun',
      'workflows/policy.yaml:3: defaultTimezone: an IANA time zone like Europe/Berlin or America/New_York',
      'workflows/policy.yaml:4: frequencyCap.max: at least 1',
      'workflows/policy.yaml:4: frequencyCap.per: a duration like 7d, 24h or 2w (units: s, min, h, d, w; write a month as 30d)',
    ]);
  });

  it('reports a time out of range', () => {
    expect(problems(VALID.replace(`'08:00'`, `'24:00'`))).toEqual(["workflows/policy.yaml:1: quietHours.to: a time like '08:00' (24-hour clock)"]);
  });

  it('reports missing and unknown keys, and a wrong shape, on the line of the key', () => {
    expect(problems(`quietHours: { from: '20:00', until: '08:00' }\nallowedDays: mon\n\nfrequencyCap: [1]\nreserve: 1\n`)).toEqual([
      "workflows/policy.yaml:1: quietHours.to: missing: a time like '08:00' (24-hour clock)",
      'workflows/policy.yaml:1: quietHours.until: Unrecognized key: "until"',
      'workflows/policy.yaml:2: allowedDays: a list of days, e.g. [mon, tue, wed, thu, fri]',
      'workflows/policy.yaml:1: defaultTimezone: missing: an IANA time zone like Europe/Berlin or America/New_York',
      'workflows/policy.yaml:4: frequencyCap: a cap like { max: 3, per: 7d }, or none',
      'workflows/policy.yaml:5: reserve: Unrecognized key: "reserve"',
    ]);
  });

  it('says how to switch a rule off when it gets an unknown word', () => {
    expect(problems(VALID.replace(`{ from: '20:00', to: '08:00' }`, 'off'))).toEqual(["workflows/policy.yaml:1: quietHours: quiet hours like { from: '20:00', to: '08:00' }, or none"]);
  });

  it('refuses an empty list of days', () => {
    expect(problems(VALID.replace('[mon, tue, wed, thu, fri]', '[]'))).toEqual(['workflows/policy.yaml:2: allowedDays: list at least one day']);
  });

  it('refuses quiet hours that start and end at the same time', () => {
    expect(problems(VALID.replace(`'08:00'`, `'20:00'`))).toEqual(['workflows/policy.yaml:1: quietHours.to: from and to are the same time; write quietHours: none for no quiet hours']);
  });

  it('refuses a reserved slot without a cap to reserve it in, or when it would be the only slot', () => {
    expect(problems(`${VALID.replace('{ max: 3, per: 7d }', 'none')}reserveLastSlotForPriority: 20\n`)).toEqual([
      'workflows/policy.yaml:5: reserveLastSlotForPriority: reserving a slot needs a frequencyCap',
    ]);
    expect(problems(`${VALID.replace('max: 3', 'max: 1')}\n# comment\nreserveLastSlotForPriority: 20\n`)).toEqual([
      'workflows/policy.yaml:7: reserveLastSlotForPriority: with frequencyCap.max 1 the reserved slot would be the only one: lower sends could never go',
    ]);
    expect(problems(`${VALID}reserveLastSlotForPriority: 2.5\n`)).toEqual(['workflows/policy.yaml:5: reserveLastSlotForPriority: a whole-number priority, e.g. 20']);
  });

  it('reports broken YAML at its line', () => {
    const out = problems(`${VALID}allowedDays: [mon\n`);
    expect(out.length).toBeGreaterThan(0);
    expect(out[0]).toMatch(/^workflows\/policy\.yaml:\d+: not valid YAML/);
  });
});

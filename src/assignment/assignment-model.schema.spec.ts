import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatProblem } from '../common/yaml-model';
import { assignmentJsonSchema, parseAssignmentModel } from './assignment-model.schema';

const WORKFLOWS = resolve(__dirname, '../../workflows');

const problems = (source: string, known: string[] = []) => {
  const r = parseAssignmentModel(source, 'assignment.yaml', new Set(known));
  return r.ok ? [] : r.problems.map(formatProblem);
};

const base = `
reps:
  - { key: anna, name: Anna, email: anna@example.com, territories: [dach] }
  - { key: ben, name: Ben, email: ben@example.com }
regions:
  dach: [DE, AT, CH]
`;

describe('assignment.yaml', () => {
  it('the shipped sample parses, with regions expanded and the fallback pool as a rule', () => {
    const r = parseAssignmentModel(readFileSync(resolve(WORKFLOWS, 'assignment.yaml'), 'utf8'), 'assignment.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.model.reps.length).toBeGreaterThanOrEqual(5);
    expect(r.model.routing.rules.map((x) => x.id)).toEqual(['dach-enterprise', 'dach', 'europe', 'north-america']);
    expect(r.model.routing.byId.get('dach')!.countries).toEqual(['DE', 'AT', 'CH']);
    expect(r.model.routing.byId.get('fallback')!.pool).toEqual(['inside-sales-emea', 'inside-sales-americas']);
    expect(r.model.routing.byId.get('dach-enterprise')!.slaMs).toBe(2 * 3_600_000);
    expect(r.model.routing.byId.get('dach')!.slaMs).toBe(4 * 3_600_000);
    expect(r.model.settings.onReturn).toEqual({ scorePenalty: 20, track: 'warm' });
  });

  it('reports unknown reps, regions and fields at their lines', () => {
    const p = problems(`${base}rules:
  - id: r1
    territories: [nordics]
    where: { lead.shoeSize: 42 }
    pool: [anna, carla]
`);
    expect(p).toEqual([
      'assignment.yaml:9: rules.0.territories.0: unknown region "nordics"',
      expect.stringMatching(/^assignment.yaml:10: rules.0.where.lead.shoeSize: unknown lead field "shoeSize"/),
      'assignment.yaml:11: rules.0.pool.1: unknown rep "carla"',
    ]);
    // a rep that exists only in Postgres (made through the API) may be named
    expect(problems(`${base}rules:\n  - { id: r1, pool: [anna, carla] }\n`, ['carla'])).toEqual([]);
  });

  it('refuses circular fallbacks, negative capacity and a missing fallback pool', () => {
    expect(problems(`${base}rules:\n  - { id: a, pool: [anna], fallback: b }\n  - { id: b, pool: [ben], fallback: a }\n`)).toEqual([
      'assignment.yaml:8: rules.0.fallback: fallbacks go round in a circle: a -> b -> a',
    ]);
    expect(problems(`reps:\n  - { key: anna, name: Anna, email: anna@example.com, capacity: -1 }\n`)).toEqual([
      'assignment.yaml:2: reps.0.capacity: capacity cannot be below 0',
    ]);
    expect(problems(`${base}rules:\n  - { id: a, pool: [anna], fallback: fallback }\nfallback: unassigned\n`)[0]).toMatch(/there is no fallback pool/);
  });

  it('checks working hours and time zones', () => {
    expect(problems(`reps:\n  - key: anna\n    name: Anna\n    email: anna@example.com\n    timeZone: Mars/Olympus\n    workingHours: { from: '17:00', to: '09:00' }\n`)).toEqual([
      'assignment.yaml:6: reps.0.workingHours.to: to must be after from (windows over midnight are not supported)',
    ]);
    expect(problems(`reps:\n  - { key: anna, name: Anna, email: anna@example.com, timeZone: Mars/Olympus }\n`)).toEqual([
      'assignment.yaml:2: reps.0.timeZone: unknown time zone "Mars/Olympus"',
    ]);
  });
});

describe('workflows/assignment.schema.json', () => {
  it('is what assignmentJsonSchema() gives (regenerate: UPDATE_SCHEMA=1 npx jest src/assignment/assignment-model.schema.spec.ts)', () => {
    const file = resolve(WORKFLOWS, 'assignment.schema.json');
    const expected = `${JSON.stringify(assignmentJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(file, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});

import { z } from 'zod';
import { formatProblem, parseYamlModel } from './yaml-model';

const schema = z.object({ name: z.string(), rules: z.array(z.object({ id: z.string(), points: z.number() }).strict()) }).strict();

describe('parseYamlModel', () => {
  it('returns the validated value', () => {
    const r = parseYamlModel('name: x\nrules:\n  - id: a\n    points: 3\n', schema, 'm.yaml');
    expect(r).toMatchObject({ ok: true, value: { name: 'x', rules: [{ id: 'a', points: 3 }] } });
  });

  it('names file, line and path of each schema problem', () => {
    const r = parseYamlModel('name: x\nrules:\n  - id: a\n    points: lots\n  - id: b\n    points: 2\n    pointz: 3\n', schema, 'm.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      'm.yaml:4: rules.0.points: Invalid input: expected number, received string',
      'm.yaml:7: rules.1.pointz: Unrecognized key: "pointz"',
    ]);
  });

  it('reports YAML syntax errors with their line, offset by where the YAML starts', () => {
    const r = parseYamlModel('name: x\nrules: [\n', schema, 'f.mjml', 5);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ file: 'f.mjml', path: '' });
    if (!r.ok) expect(r.problems[0].line).toBeGreaterThanOrEqual(6);
  });
});

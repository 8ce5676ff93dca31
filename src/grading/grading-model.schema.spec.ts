import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../common/yaml-model';
import { gradingJsonSchema, parseGradingModel } from './grading-model.schema';

const WORKFLOWS = join(__dirname, '..', '..', 'workflows');
const shipped = readFileSync(join(WORKFLOWS, 'grading.yaml'), 'utf8');

/** problems as an editor shows them, for readable expectations */
function problemsOf(source: string): string[] {
  const r = parseGradingModel(source, 'g.yaml');
  if (r.ok) throw new Error('expected problems, the model parsed');
  return r.problems.map(formatProblem);
}

const withAdjustments = (adjustments: string) => `baseGrade: C
personas:
  - id: p
    name: P
    criteria:
      - field: jobTitle
        matches: [ceo]
        steps: 1
adjustments:
${adjustments}`;

describe('parseGradingModel', () => {
  it('parses the shipped model', () => {
    const r = parseGradingModel(shipped, 'workflows/grading.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.model.baseGrade).toBe('C');
    expect(r.model.personas.map((p) => p.id)).toEqual(['decision-maker', 'influencer', 'user']);
    expect(r.model.version).toMatch(/^[0-9a-f]{16}$/);
    expect(r.model.adjustments.find((a) => a.id === 'careers-page')).toMatchObject({ kind: 'activity', activity: 'page.visited', steps: -1 });
  });

  it('versions the model by its source', () => {
    const a = parseGradingModel(shipped, 'g.yaml');
    const b = parseGradingModel(`${shipped}\n# a comment\n`, 'g.yaml');
    expect(a.ok && b.ok && a.model.version !== b.model.version).toBe(true);
  });

  it('keeps the commented example persona valid', () => {
    // uncomment the "# - id:" block the file offers as a template
    const uncommented = shipped.replace(/^ {2}# (?=- |  )/gm, '  ');
    const r = parseGradingModel(uncommented, 'g.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.model.personas.map((p) => p.id)).toContain('affluent-professional');
  });

  it('reports an unknown key on its own line', () => {
    expect(problemsOf('baseGrade: C\npersonas:\n  - id: p\n    name: P\n    criteria:\n      - field: jobTitle\n        matches: [ceo]\n        step: 1\n')).toEqual([
      'g.yaml:6: personas.0.criteria.0.steps: Invalid input: expected number, received undefined',
      'g.yaml:8: personas.0.criteria.0.step: Unrecognized key: "step"',
    ]);
  });

  it('rejects a between whose bounds are reversed, missing or not numbers', () => {
    expect(problemsOf(withAdjustments('  - field: companySize\n    between: [5000, 50]\n    steps: 1\n'))).toEqual(['g.yaml:11: adjustments.0.between: min 5000 is greater than max 50']);
    expect(problemsOf(withAdjustments('  - field: companySize\n    between: [null, null]\n    steps: 1\n'))).toEqual([
      'g.yaml:11: adjustments.0.between: give at least one bound: [min, null] or [null, max]',
    ]);
    expect(problemsOf(withAdjustments('  - field: companySize\n    between: [fifty, 500]\n    steps: 1\n'))[0]).toMatch(/^g\.yaml:11: adjustments\.0\.between\.0: /);
  });

  it('rejects duplicate ids with the line of the second one', () => {
    const twoPersonas = 'baseGrade: C\npersonas:\n  - id: p\n    name: P\n    criteria:\n      - { field: jobTitle, exists: true, steps: 1 }\n  - id: p\n    name: Q\n    criteria:\n      - { field: jobTitle, exists: true, steps: 1 }\n';
    expect(problemsOf(twoPersonas)).toEqual(['g.yaml:7: personas.1.id: duplicate persona id "p"']);
    const twoCriteria = 'baseGrade: C\npersonas:\n  - id: p\n    name: P\n    criteria:\n      - { id: a, field: jobTitle, exists: true, steps: 1 }\n      - { id: a, field: country, exists: true, steps: 1 }\n';
    expect(problemsOf(twoCriteria)).toEqual(['g.yaml:7: personas.0.criteria.1.id: duplicate criterion id "a"']);
    expect(problemsOf(withAdjustments('  - { id: x, field: country, equals: DE, steps: 1 }\n  - { id: x, activity: page.visited, steps: -1 }\n'))).toEqual([
      'g.yaml:11: adjustments.1.id: duplicate adjustment id "x"',
    ]);
  });

  it('allows the same criterion id in different personas', () => {
    const source = 'baseGrade: C\npersonas:\n  - id: p\n    name: P\n    criteria:\n      - { id: size, field: companySize, between: [1, 9], steps: 1 }\n  - id: q\n    name: Q\n    criteria:\n      - { id: size, field: companySize, between: [10, 99], steps: 1 }\n';
    expect(parseGradingModel(source, 'g.yaml').ok).toBe(true);
  });

  it('wants exactly one matcher on a profile criterion', () => {
    expect(problemsOf(withAdjustments('  - field: country\n    equals: DE\n    in: [AT]\n    steps: 1\n'))).toEqual(['g.yaml:12: adjustments.0.in: use one matcher per criterion, not equals and in']);
    expect(problemsOf(withAdjustments('  - field: country\n    steps: 1\n'))).toEqual(['g.yaml:10: adjustments.0: add a matcher: one of matches, equals, in, between, exists']);
  });

  it('names the lead fields when a field does not exist', () => {
    expect(problemsOf(withAdjustments('  - field: emailDomain\n    equals: gmail.com\n    steps: -1\n'))[0]).toMatch(
      /^g\.yaml:10: adjustments\.0\.field: "emailDomain" is not a lead field: use one of email, .* or attributes\.<name>$/,
    );
  });

  it('keeps activity criteria out of personas and gives them an id', () => {
    const inPersona = 'baseGrade: C\npersonas:\n  - id: p\n    name: P\n    criteria:\n      - { id: a, activity: page.visited, steps: 1 }\n';
    expect(problemsOf(inPersona)).toEqual(['g.yaml:6: personas.0.criteria.0.activity: activity criteria go under adjustments: a persona describes who a lead is, not what it did']);
    expect(problemsOf(withAdjustments('  - activity: page.visited\n    steps: -1\n'))).toEqual(['g.yaml:10: adjustments.0: an activity criterion needs an id: leads keep it as a signal']);
    expect(problemsOf(withAdjustments('  - id: a\n    activity: page.visited\n    where: { pageCategory: careers }\n    steps: -1\n'))).toEqual([
      'g.yaml:12: adjustments.0.where.pageCategory: "pageCategory" is not an event path: use properties.<name>',
    ]);
    expect(problemsOf(withAdjustments('  - id: a\n    activity: page.visited\n    equals: careers\n    steps: -1\n'))).toEqual([
      'g.yaml:12: adjustments.0.equals: an activity criterion puts its matchers under where:, e.g. where: { properties.path: { equals: ... } }',
    ]);
  });

  it('checks the matchers of an activity criterion like those of a profile criterion', () => {
    const where = (w: string) => problemsOf(withAdjustments(`  - id: a\n    activity: page.visited\n    where:\n      properties.path: ${w}\n    steps: -1\n`));
    expect(where('{ matches: [/jobs], in: [/careers] }')).toEqual(['g.yaml:13: adjustments.0.where.properties.path.in: use one matcher per criterion, not matches and in']);
    expect(where('{ between: [9, 1] }')).toEqual(['g.yaml:13: adjustments.0.where.properties.path.between: min 9 is greater than max 1']);
    expect(where('{ contains: /jobs }')).toEqual(['g.yaml:13: adjustments.0.where.properties.path.contains: Unrecognized key: "contains"']);
    expect(where('[/jobs, /careers]')).toEqual([
      'g.yaml:13: adjustments.0.where.properties.path: a value to equal, or one matcher: { matches: ... }, { equals: ... }, { in: ... }, { between: ... }, { exists: ... }',
    ]);
  });

  it('knows the event types', () => {
    expect(problemsOf(withAdjustments('  - { id: a, activity: page.viewed, steps: -1 }\n'))[0]).toMatch(/^g\.yaml:10: adjustments\.0\.activity: an event type: one of email\.sent, .*page\.visited.*, or custom\.<name>$/);
    expect(parseGradingModel(withAdjustments('  - { id: a, activity: custom.job-alert-signup, steps: -1 }\n'), 'g.yaml').ok).toBe(true);
  });

  it('wants whole steps and a known base grade', () => {
    expect(problemsOf(withAdjustments('  - { field: country, equals: DE, steps: 0.5 }\n'))[0]).toMatch(/^g\.yaml:10: adjustments\.0\.steps: /);
    expect(problemsOf('baseGrade: E\npersonas: []\n')).toEqual(expect.arrayContaining([expect.stringMatching(/^g\.yaml:1: baseGrade: /)]));
  });
});

describe('grading.schema.json', () => {
  it('is the JSON Schema generated from the zod schema', () => {
    const file = join(WORKFLOWS, 'grading.schema.json');
    const generated = `${JSON.stringify(gradingJsonSchema(), null, 2)}\n`;
    // regenerate with: UPDATE_SCHEMA=1 npx jest src/grading/grading-model.schema.spec.ts
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(file, generated);
    expect(readFileSync(file, 'utf8')).toBe(generated);
  });
});

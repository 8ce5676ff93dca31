import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatProblem } from '../common/yaml-model';
import { durationMs, parseScoringModel, scoringJsonSchema } from './scoring-model.schema';

const WORKFLOWS = resolve(__dirname, '../../workflows');

const TAIL = `decay: none
stages: { interest: 11, mql: 30, salesReady: 40, salesReadyMinGrade: B }
temperature:
  warm: { enter: 15, exit: 10 }
  hot: { enter: 40, exit: 30 }
  minTimeBeforeDrop: 7d
`;

function problems(source: string): string[] {
  const r = parseScoringModel(source, 'scoring.yaml');
  if (r.ok) throw new Error('expected problems');
  return r.problems.map(formatProblem);
}

describe('durationMs', () => {
  it('reads s, min, h, d, w and their long forms', () => {
    expect(durationMs('30d')).toBe(30 * 86_400_000);
    expect(durationMs('12h')).toBe(12 * 3_600_000);
    expect(durationMs('4w')).toBe(28 * 86_400_000);
    expect(durationMs('90 s')).toBe(90_000);
    expect(durationMs('15min')).toBe(900_000);
    expect(durationMs('2 weeks')).toBe(14 * 86_400_000);
    expect(durationMs('1.5d')).toBe(36 * 3_600_000);
  });

  it('refuses months and unit-less numbers', () => {
    for (const bad of ['1m', '3 months', '30', 'd', '-3d', '']) expect(durationMs(bad)).toBeUndefined();
  });
});

describe('parseScoringModel', () => {
  it('parses the shipped workflows/scoring.yaml', () => {
    const source = readFileSync(resolve(WORKFLOWS, 'scoring.yaml'), 'utf8');
    const r = parseScoringModel(source, 'workflows/scoring.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.model.version).toMatch(/^[0-9a-f]{16}$/);
    expect(r.model.decay).toEqual({ kind: 'halfLife', halfLifeMs: 90 * 86_400_000, halfLife: '90d' });
    expect(r.model.stages).toEqual({ interest: 11, mql: 30, salesReady: 40, salesReadyMinGrade: 'B' });
    expect(r.model.temperature).toEqual({ warm: { enter: 15, exit: 10 }, hot: { enter: 40, exit: 30 }, minTimeBeforeDropMs: 7 * 86_400_000 });
    expect(r.model.rules.find((x) => x.id === 'content-downloaded')).toMatchObject({ points: 20, product: { source: 'properties', keys: ['product'] } });
  });

  it('normalizes rules: scalar conditions become equals, lists become in, caps become magnitudes, labels default to the id', () => {
    const r = parseScoringModel(
      `rules:
  - id: big-company-unsub
    event: custom.*
    where:
      properties.form: demo
      lead.attributes.plan: { in: [pro, enterprise] }
      properties.channel: [paid-search, paid-social]
    points: -5.555
    cap: -20
    max: { count: 2, per: 12h }
${TAIL}`,
      'm.yaml',
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.model.rules[0]).toEqual({
      id: 'big-company-unsub',
      event: 'custom.*',
      label: 'big-company-unsub',
      where: [
        { field: { source: 'properties', keys: ['form'], text: 'properties.form' }, equals: 'demo' },
        { field: { source: 'lead', keys: ['attributes', 'plan'], text: 'lead.attributes.plan' }, in: ['pro', 'enterprise'] },
        { field: { source: 'properties', keys: ['channel'], text: 'properties.channel' }, in: ['paid-search', 'paid-social'] },
      ],
      points: -5.56,
      once: false,
      max: { count: 2, perMs: 12 * 3_600_000, per: '12h' },
      cap: 20,
      product: null,
    });
    expect(r.model.decay).toEqual({ kind: 'none' });
  });

  it('gives the version as a hash of the source', () => {
    const a = parseScoringModel(`rules: []\n${TAIL}`, 'a.yaml');
    const b = parseScoringModel(`rules: []\n${TAIL}# changed\n`, 'a.yaml');
    expect(a.ok && b.ok && a.model.version !== b.model.version).toBe(true);
  });

  it('reports an unknown key at its own line', () => {
    expect(problems(`rules:\n  - id: a\n    event: email.opened\n    points: 1\n    ponits: 2\n${TAIL}`)).toEqual(['scoring.yaml:5: rules.0.ponits: Unrecognized key: "ponits"']);
  });

  it('reports an unknown operator and a bad operator value inside where', () => {
    const src = `rules:
  - id: a
    event: page.visited
    where:
      properties.path: { contain: /pricing }
  - id: b
    event: page.visited
    where:
      lead.companySize: { gte: lots }
    points: 1
${TAIL}`;
    expect(problems(src)).toEqual([
      'scoring.yaml:5: rules.0.where.properties.path.contain: Unrecognized key: "contain"',
      'scoring.yaml:2: rules.0.points: a number of points, e.g. 5, -10 or 2.5',
      'scoring.yaml:9: rules.1.where.lead.companySize: gte: a number',
    ]);
  });

  it('refuses an empty condition, a path outside properties and lead, and a typo in an event', () => {
    const src = `rules:
  - id: a
    event: email.openend
    where:
      properties.x: {}
      event.type: x
    points: 1
${TAIL}`;
    const out = problems(src);
    expect(out[0]).toMatch(/^scoring\.yaml:3: rules\.0\.event: one of email\.sent, .*custom\.<name>/);
    expect(out.slice(1)).toEqual([
      'scoring.yaml:5: rules.0.where.properties.x: give at least one of equals, in, notIn, gt, gte, lt, lte, contains, exists',
      'scoring.yaml:6: rules.0.where.event.type: Invalid key in record',
    ]);
  });

  it('reports bad durations', () => {
    const src = `rules:
  - id: a
    event: email.opened
    points: 1
    max: { count: 5, per: 1m }
decay:
  halfLife: 0d
stages: { interest: 11, mql: 30, salesReady: 40, salesReadyMinGrade: B }
temperature:
  warm: { enter: 15, exit: 10 }
  hot: { enter: 40, exit: 30 }
  minTimeBeforeDrop: 7
`;
    expect(problems(src)).toEqual([
      'scoring.yaml:5: rules.0.max.per: a duration like 12h, 7d or 4w (units: s, min, h, d, w; write months as days, e.g. 30d)',
      'scoring.yaml:7: decay.halfLife: must be longer than 0',
      'scoring.yaml:12: temperature.minTimeBeforeDrop: a duration like 12h, 7d or 4w (units: s, min, h, d, w; write months as days, e.g. 30d)',
    ]);
  });

  it('explains a bad decay', () => {
    expect(problems(`rules: []\ndecay: slow\n${TAIL.replace('decay: none\n', '')}`)).toEqual([
      'scoring.yaml:2: decay: decay is `none`, `halfLife: 90d`, or `inactivity: { after: 30d, points: 5, every: 30d }`',
    ]);
    expect(problems(`rules: []\ndecay:\n  halfLife: 90d\n  inactivity: { after: 30d, points: 5, every: 30d }\n${TAIL.replace('decay: none\n', '')}`)).toEqual([
      'scoring.yaml:2: decay: choose one of halfLife or inactivity (or write decay: none)',
    ]);
  });

  it('reports a duplicate rule id at the second rule', () => {
    const src = `rules:\n  - { id: open, event: email.opened, points: 1 }\n  - { id: open, event: email.clicked, points: 5 }\n${TAIL}`;
    expect(problems(src)).toEqual(['scoring.yaml:3: rules.1.id: duplicate rule id "open" (also rule 1)']);
  });

  it('reports thresholds out of order at the value to change', () => {
    const src = `rules: []
decay: none
stages: { interest: 11, mql: 50, salesReady: 40, salesReadyMinGrade: B }
temperature:
  warm: { enter: 15, exit: 20 }
  hot:
    enter: 12
    exit: 5
  minTimeBeforeDrop: 7d
`;
    expect(problems(src)).toEqual([
      'scoring.yaml:3: stages.salesReady: salesReady (40) must be above mql (50)',
      'scoring.yaml:5: temperature.warm.exit: warm.exit (20) must be below warm.enter (15), or leads flip back and forth',
      'scoring.yaml:7: temperature.hot.enter: hot.enter (12) must be at least warm.enter (15)',
      'scoring.yaml:8: temperature.hot.exit: hot.exit (5) must be at least warm.exit (20)',
    ]);
  });

  it('refuses a negative cap on a positive rule and an unknown grade', () => {
    const src = `rules:\n  - { id: a, event: email.clicked, points: 5, cap: -10 }\n${TAIL.replace('salesReadyMinGrade: B', 'salesReadyMinGrade: E')}`;
    expect(problems(src)).toEqual([expect.stringMatching(/^scoring\.yaml:4: stages\.salesReadyMinGrade: Invalid option/)]);
    const src2 = `rules:\n  - id: a\n    event: email.clicked\n    points: 5\n    cap: -10\n${TAIL}`;
    expect(problems(src2)).toEqual(['scoring.yaml:5: rules.0.cap: cap is the most points the rule may give: write it as a positive number']);
  });
});

describe('workflows/scoring.schema.json', () => {
  it('is what scoringJsonSchema() gives (regenerate: UPDATE_SCHEMA=1 npx jest src/scoring/scoring-model.schema.spec.ts)', () => {
    const file = resolve(WORKFLOWS, 'scoring.schema.json');
    const expected = `${JSON.stringify(scoringJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(file, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});

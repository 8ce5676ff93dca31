import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { formatProblem } from '../common/yaml-model';
import { workflowSetProblems } from './workflow-validate.rules';
import { parseWorkflow, workflowJsonSchema } from './workflow.schema';
import type { WorkflowDefinition } from './workflow.types';

const ROOT = resolve(__dirname, '../..');
const WORKFLOWS = resolve(ROOT, 'workflows');
/** The shipped templates, as the app's template registry would list them. */
const TEMPLATES = new Set(
  readdirSync(resolve(ROOT, 'templates/emails'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.mjml'))
    .map((f) => basename(f, '.mjml')),
);
const ctx = { templates: TEMPLATES };

function load(file: string): WorkflowDefinition {
  const r = parseWorkflow(readFileSync(resolve(WORKFLOWS, file), 'utf8'), `workflows/${file}`, ctx);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  expect(r.warnings).toEqual([]);
  return r.workflow;
}

/** Lines 1-4 are the head, so the first step starts on line 5. */
const HEAD = 'key: t\nname: T\ntrigger: { manual: {} }\nsteps:\n';

function problems(source: string): string[] {
  const r = parseWorkflow(source, 'w.yaml', ctx);
  if (r.ok) throw new Error('expected problems');
  return r.problems.map(formatProblem);
}

function warnings(source: string): string[] {
  const r = parseWorkflow(source, 'w.yaml', ctx);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.warnings.map(formatProblem);
}

const sends = (d: WorkflowDefinition) => d.steps.flatMap((s) => (s.kind === 'send' ? [s.template] : []));

describe('the shipped workflows', () => {
  it('finds the shipped templates', () => {
    expect(TEMPLATES).toEqual(new Set(['close-takes-too-long', 'reconciliation-errors', 'cfo-visibility', 'ebook-close-playbook', 'webinar-faster-close', 'whitepaper-cost-of-manual', 'demo-invitation', 'case-study-brightwater', 'comparison-spreadsheets-erp', 'rep-lead-reassigned', 'rep-new-lead', 'workflow-notification']));
  });

  it('cold, warm and hot tracks send their funnel stage, with rising priority', () => {
    const cold = load('tracks/cold.yaml');
    const warm = load('tracks/warm.yaml');
    const hot = load('tracks/hot.yaml');
    expect(sends(cold)).toEqual(['close-takes-too-long', 'reconciliation-errors', 'cfo-visibility']);
    expect(sends(warm)).toEqual(['ebook-close-playbook', 'webinar-faster-close', 'whitepaper-cost-of-manual']);
    expect(sends(hot)).toEqual(['demo-invitation', 'case-study-brightwater', 'comparison-spreadsheets-erp']);
    expect([cold.priority, warm.priority, hot.priority]).toEqual([1, 2, 3]);
    for (const [d, t] of [[cold, 'cold'], [warm, 'warm'], [hot, 'hot']] as const) {
      expect(d).toMatchObject({ track: t, trigger: { kind: 'temperature', temperature: t }, reentry: { mode: 'always' }, exitWhen: { salesOwned: true } });
      expect(d.version).toMatch(/^[0-9a-f]{16}$/);
      // every email of a track goes out on a weekday morning
      d.steps.forEach((s, i) => s.kind === 'send' && expect(d.steps[i - 1]).toMatchObject({ kind: 'wait-until' }));
    }
    // reaching sales-ready must not end the hot track: hot leads often are sales-ready
    expect(hot.goals).toEqual([{ id: 'meeting-booked', kind: 'event', event: 'custom.meeting_booked', where: [] }]);
  });

  it('welcome starts on lead creation and branches on the click', () => {
    const w = load('welcome.yaml');
    expect(w).toMatchObject({ key: 'welcome', track: null, trigger: { kind: 'lead-created' }, reentry: { mode: 'never' } });
    const branch = w.steps.find((s) => s.kind === 'branch');
    expect(branch).toMatchObject({ cases: [{ when: [{ kind: 'clicked', steps: ['hello'] }] }, { when: [{ kind: 'opened', steps: ['hello'] }], target: 'complete' }] });
  });

  it('keys and tracks are unique across the files', () => {
    const defs = ['welcome.yaml', 'tracks/cold.yaml', 'tracks/warm.yaml', 'tracks/hot.yaml'].map(load);
    expect(workflowSetProblems(defs)).toEqual([]);
    const copy = { ...defs[1], file: 'workflows/copy.yaml' };
    expect(workflowSetProblems([...defs, copy]).map(formatProblem)).toEqual([
      `workflows/copy.yaml:${copy.lines.key}: key: key "cold-track" is also used by workflows/tracks/cold.yaml`,
      `workflows/copy.yaml:${copy.lines.track}: track: workflows/tracks/cold.yaml is already the cold track; a lead is in one track at a time`,
    ]);
  });
});

describe('parseWorkflow normalises', () => {
  it('every step kind, with targets resolved to indexes', () => {
    const r = parseWorkflow(
      `key: every-kind
name: Every kind
trigger: { event: { type: webinar.registered, where: { properties.webinar: faster-close } } }
entry: { where: { lead.country: { in: [DE, AT] }, score: { gte: 10 } } }
reentry: { after: 30d }
goals:
  - { id: sql, stage: sales-ready }
  - { id: booked, event: custom.meeting_booked }
steps:
  - { id: s1, send: demo-invitation, persona: decision-maker }
  - { id: w1, wait: 2d }
  - { id: w2, wait: { until: { weekdays: [thu, tue], time: '09:00' } } }
  - { id: w3, wait: { event: email.clicked, step: s1, timeout: 7d, onTimeout: x } }
  - { id: sc, score: { points: 5 }, next: b1 }
  - id: b1
    branch:
      - { when: { grade: [A+, A], clicked: s1 }, goto: up }
      - { else: exit }
  - { id: up, update: { field: attributes.nurtured, value: true } }
  - { id: tag, update: { tag: nurtured } }
  - { id: n1, notify: { email: marketing@tallyworks.example, subject: Done } }
  - { id: n2, notify: { webhook: 'https://crm.example/hook' } }
  - { id: g1, goto: end }
  - { id: x, exit: not-engaged }
`,
      'w.yaml',
      ctx,
    );
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    const d = r.workflow;
    expect(d).toMatchObject({
      track: null,
      priority: 0,
      trigger: { kind: 'event', event: 'webinar.registered', where: [{ field: { source: 'properties', keys: ['webinar'] }, equals: 'faster-close' }] },
      entry: { where: [{ field: { source: 'lead', keys: ['country'] }, in: ['DE', 'AT'] }, { field: { source: 'lead', keys: ['score'], text: 'score' }, gte: 10 }] },
      reentry: { mode: 'after', afterMs: 30 * 86_400_000 },
      goals: [{ id: 'sql', kind: 'stage', stage: 'sales-ready' }, { id: 'booked', kind: 'event', event: 'custom.meeting_booked' }],
      exitWhen: { salesOwned: false },
    });
    expect(d.steps.map(({ line: _line, ...s }) => s)).toEqual([
      { id: 's1', index: 0, kind: 'send', template: 'demo-invitation', persona: 'decision-maker', next: 1 },
      { id: 'w1', index: 1, kind: 'wait', ms: 2 * 86_400_000, duration: '2d', next: 2 },
      { id: 'w2', index: 2, kind: 'wait-until', weekdays: [2, 4], time: '09:00', next: 3 },
      { id: 'w3', index: 3, kind: 'wait-event', event: 'email.clicked', where: [], stepRef: 's1', timeoutMs: 7 * 86_400_000, timeout: '7d', next: 4, onTimeout: 11 },
      { id: 'sc', index: 4, kind: 'score', points: 5, reason: 'Every kind: sc', next: 5 },
      {
        id: 'b1',
        index: 5,
        kind: 'branch',
        cases: [{ when: [{ kind: 'field', condition: { field: { source: 'lead', keys: ['grade'], text: 'grade' }, in: ['A+', 'A'] } }, { kind: 'clicked', steps: ['s1'] }], target: 6 }],
        otherwise: 'exit',
      },
      { id: 'up', index: 6, kind: 'update', field: 'attributes.nurtured', value: true, next: 7 },
      { id: 'tag', index: 7, kind: 'update', tag: 'nurtured', next: 8 },
      { id: 'n1', index: 8, kind: 'notify', email: 'marketing@tallyworks.example', subject: 'Done', next: 9 },
      { id: 'n2', index: 9, kind: 'notify', webhook: 'https://crm.example/hook', next: 10 },
      { id: 'g1', index: 10, kind: 'goto', target: 'complete' },
      { id: 'x', index: 11, kind: 'exit', status: 'exited', reason: 'not-engaged' },
    ]);
    expect(d.steps.map((s) => s.line)).toEqual([10, 11, 12, 13, 14, 15, 19, 20, 21, 22, 23, 24]);
  });
});

describe('parseWorkflow reports problems at their line', () => {
  it('schema: unknown step types and keys, bad waits, times and conditions', () => {
    expect(
      problems(`${HEAD}  - { id: a, mail: demo-invitation }
  - { id: b, wait: 3 days later }
  - { id: c, wait: { until: { weekdays: [tuesday], time: '9am' } } }
  - { id: d, score: { points: 0 } }
  - id: e
    branch:
      - { when: { lead: x, properties.x: 1 }, goto: a }
`),
    ).toEqual([
      'w.yaml:5: steps.0.mail: Unrecognized key: "mail"',
      'w.yaml:6: steps.1.wait: a duration like 12h, 7d or 4w (units: s, min, h, d, w; write months as days, e.g. 30d)',
      'w.yaml:7: steps.2.wait: until.weekdays.0: Invalid option: expected one of "sun"|"mon"|"tue"|"wed"|"thu"|"fri"|"sat"',
      'w.yaml:8: steps.3.score.points: points must not be 0',
      'w.yaml:11: steps.4.branch.0.when.lead: lead.<field> (e.g. lead.country, lead.attributes.plan) or one of score, grade, persona, temperature, stage, or clicked / opened: <step id> (activity on the email of that send step)',
      'w.yaml:11: steps.4.branch.0.when.properties.x: lead.<field> (e.g. lead.country, lead.attributes.plan) or one of score, grade, persona, temperature, stage, or clicked / opened: <step id> (activity on the email of that send step)',
    ]);
  });

  it('a step with no action, two actions, or a wait with neither duration, until nor event', () => {
    expect(
      problems(`${HEAD}  - { id: a }
  - { id: b, send: demo-invitation, wait: 1d }
  - { id: c, wait: {} }
  - { id: d, wait: { until: { time: '09:00' }, event: email.clicked } }
  - { id: e, wait: { event: email.clicked } }
  - { id: f, wait: { until: { time: '09:00' }, timeout: 2d } }
`),
    ).toEqual([
      'w.yaml:5: steps.0.id: give the step one of send, wait, branch, score, update, notify, goto, exit',
      'w.yaml:6: steps.1.wait: a step does one thing: choose one of send, wait',
      'w.yaml:7: steps.2.wait: a wait needs a duration (3d), until or event',
      'w.yaml:8: steps.3.wait: wait for either a time (until) or an event, not both',
      'w.yaml:9: steps.4.wait.event: give a timeout (e.g. timeout: 7d): a lead who never does it would wait forever',
      'w.yaml:10: steps.5.wait.timeout: timeout only goes with event',
    ]);
  });

  it('unknown templates', () => {
    expect(problems(`${HEAD}  - id: a\n    send: demo-invitaton\n`)).toEqual(['w.yaml:6: steps.0.send: no template "demo-invitaton" in templates/emails']);
  });

  it('unknown step references: goto, next, branch targets, onTimeout, clicked, opened and wait.step', () => {
    expect(
      problems(`${HEAD}  - { id: s, send: demo-invitation, next: nowhere }
  - { id: w, wait: { event: email.clicked, step: s2, timeout: 1d, onTimeout: later } }
  - id: b
    branch:
      - { when: { clicked: s3 }, goto: s }
      - { when: { opened: [s, w] }, goto: up }
      - { else: away }
  - { id: g, goto: s4 }
`),
    ).toEqual([
      'w.yaml:5: steps.0.next: no step "nowhere" in this workflow',
      'w.yaml:6: steps.1.wait.onTimeout: no step "later" in this workflow',
      'w.yaml:6: steps.1.wait.step: no step "s2" in this workflow',
      'w.yaml:9: steps.2.branch.0.when.clicked: no step "s3" in this workflow',
      'w.yaml:10: steps.2.branch.1.goto: no step "up" in this workflow',
      'w.yaml:10: steps.2.branch.1.when.opened: step "w" sends no email; clicks and opens are about a send step',
      'w.yaml:11: steps.2.branch.2.else: no step "away" in this workflow',
      'w.yaml:12: steps.3.goto: no step "s4" in this workflow',
    ]);
  });

  it('duplicate and reserved step ids', () => {
    expect(problems(`${HEAD}  - { id: a, wait: 1d }\n  - { id: a, wait: 2d }\n  - { id: next, wait: 2d }\n`)).toEqual([
      'w.yaml:6: steps.1.id: duplicate step id "a" (also step 1)',
      'w.yaml:7: steps.2.id: "next" is a reserved word for targets; choose another id',
    ]);
  });

  it('unreachable steps', () => {
    expect(problems(`${HEAD}  - { id: a, wait: 1d }\n  - { id: b, exit: completed }\n  - { id: orphan, send: demo-invitation }\n`)).toEqual([
      'w.yaml:7: steps.2.id: step "orphan" is never reached: no step leads to it',
    ]);
  });

  it('loops without a wait, through goto, next or a branch; a loop with a wait is fine', () => {
    expect(problems(`${HEAD}  - { id: a, send: demo-invitation }\n  - { id: b, score: { points: 1 } }\n  - { id: c, goto: a }\n`)).toEqual([
      'w.yaml:7: steps.2.goto: loops back to step "a" without a wait: put a wait step in the loop',
    ]);
    expect(problems(`${HEAD}  - { id: a, score: { points: 1 }, next: a }\n`)).toEqual(['w.yaml:5: steps.0.next: loops back to step "a" without a wait: put a wait step in the loop']);
    expect(
      problems(`${HEAD}  - { id: a, send: demo-invitation }
  - id: b
    branch:
      - { when: { score: { lt: 10 } }, goto: a }
`),
    ).toEqual(['w.yaml:8: steps.1.branch.0.goto: loops back to step "a" without a wait: put a wait step in the loop']);
    expect(warnings(`${HEAD}  - { id: a, send: demo-invitation }\n  - { id: w, wait: 7d }\n  - id: b\n    branch:\n      - { when: { score: { lt: 10 } }, goto: a }\n`)).toEqual([]);
  });

  it('a track that sends a template twice is a warning', () => {
    expect(warnings('key: t\nname: T\ntrack: cold\nsteps:\n  - { id: a, send: cfo-visibility }\n  - { id: w, wait: 3d }\n  - { id: b, send: cfo-visibility }\n')).toEqual([
      'w.yaml:7: steps.2.send: this track already sends "cfo-visibility" at step "a"; a track sends each template once, so this step will be skipped',
    ]);
    // outside a track a resend may be deliberate
    expect(warnings(`${HEAD}  - { id: a, send: cfo-visibility }\n  - { id: w, wait: 3d }\n  - { id: b, send: cfo-visibility }\n`)).toEqual([]);
  });

  it('triggers, goals and keys that only go with others', () => {
    expect(problems('key: t\nname: T\nsteps:\n  - { id: a, wait: 1d }\n')).toEqual(['w.yaml:1: trigger: give a trigger: lead-created, event, temperature, stage, manual or segment (or make it a track)']);
    expect(problems('key: t\nname: T\ntrigger: { manual: {}, stage: mql }\nsteps:\n  - { id: a, wait: 1d }\n')).toEqual(['w.yaml:3: trigger: choose one trigger (found stage, manual)']);
    expect(problems('key: t\nname: T\ntrack: hot\ntrigger: { stage: mql }\nsteps:\n  - { id: a, wait: 1d }\n')).toEqual([
      'w.yaml:4: trigger: a hot track is entered when a lead becomes hot: leave trigger out, or write temperature: hot',
    ]);
    expect(
      problems(`key: t
name: T
trigger: { manual: {} }
goals:
  - { id: g, stage: mql, temperature: hot }
  - { id: g, event: custom.booked }
steps:
  - { id: a, wait: 1d, persona: user }
  - id: b
    branch:
      - { else: a }
      - { when: { score: 1 } }
    next: a
  - { id: c, update: { field: attributes.x } }
  - { id: d, notify: { subject: Hi } }
  - { id: e, wait: { event: page.visited, step: a, timeout: 1d } }
`),
    ).toEqual([
      'w.yaml:5: goals.0: a goal is one of stage, temperature, event or where (found stage, temperature)',
      'w.yaml:6: goals.1.id: duplicate goal id "g"',
      'w.yaml:8: steps.0.persona: persona only goes with send',
      'w.yaml:13: steps.1.next: a branch step chooses where to go itself; remove next',
      'w.yaml:11: steps.1.branch.0.else: else must be the last case',
      'w.yaml:12: steps.1.branch.1.when: a case is { when: { ... }, goto: <step> }',
      'w.yaml:14: steps.2.update.field: give the value to set',
      'w.yaml:15: steps.3.notify: notify either an email address or a webhook',
      'w.yaml:16: steps.4.wait.step: step "a" sends no email; clicks and opens are about a send step',
      'w.yaml:16: steps.4.wait.step: step only goes with email events (email.clicked, email.opened); page.visited is not about an email',
    ]);
  });

  it('YAML syntax errors and unknown top-level keys', () => {
    expect(problems('key: t\nname: [\n')[0]).toMatch(/^w\.yaml:\d+: not valid YAML/);
    expect(problems(`${HEAD}  - { id: a, wait: 1d }\nfrequency: 3\n`)).toEqual(['w.yaml:6: frequency: Unrecognized key: "frequency"']);
  });
});

describe('workflows/schema.json', () => {
  it('is what workflowJsonSchema() gives (regenerate: UPDATE_SCHEMA=1 npx jest src/workflows/workflow.schema.spec.ts)', () => {
    const file = resolve(WORKFLOWS, 'schema.json');
    const expected = `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(file, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});

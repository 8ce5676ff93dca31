import { formatProblem } from '../common/yaml-model';
import { ActivityView, LeadView, StepContext, advance, trackEntryPoint } from './step-machine.rules';
import { parseWorkflow } from './workflow.schema';
import type { WorkflowDefinition } from './workflow.types';

const TEMPLATES = new Set(['pain-a', 'pain-b', 'pain-c', 'demo']);

function wf(yaml: string): WorkflowDefinition {
  const r = parseWorkflow(yaml, 'w.yaml', { templates: TEMPLATES });
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.workflow;
}
const flow = (steps: string, head = 'trigger: { manual: {} }') => wf(`key: t\nname: T\n${head}\nsteps:\n${steps}`);

/** Monday 1 June 2026, 08:00 UTC */
const T0 = new Date('2026-06-01T08:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

const lead = (over: Partial<LeadView> = {}): LeadView => ({ score: 0, grade: null, persona: null, temperature: 'cold', stage: 'awareness', timezone: null, ...over });
const ctx = (over: Partial<StepContext> = {}): StepContext => ({ lead: lead(), activities: [], sentTemplates: new Set(), now: T0, ...over });
const activity = (type: string, occurredAt: Date, over: Partial<ActivityView> = {}): ActivityView => ({ type, occurredAt, properties: {}, stepId: null, classification: null, ...over });
const click = (stepId: string, occurredAt: Date, classification = 'human') => activity('email.clicked', occurredAt, { stepId, classification });
const start = (stepIndex = 0, enteredStepAt = T0) => ({ stepIndex, enteredStepAt });

describe('advance: send and waits', () => {
  const def = flow(`  - { id: s1, send: pain-a }
  - { id: w1, wait: 3d }
  - { id: w2, wait: { until: { weekdays: [tue, thu], time: '09:00' } } }
  - { id: s2, send: pain-b, persona: decision-maker }
`);

  it('sends with the lead persona, moves on and waits from the moment it sent', () => {
    const r = advance(def, start(), ctx({ lead: lead({ persona: 'influencer' }) }));
    expect(r.actions).toEqual([{ type: 'send', stepId: 's1', template: 'pain-a', persona: 'influencer' }]);
    expect(r.outcome).toEqual({ status: 'waiting', stepIndex: 1, enteredStepAt: T0, nextRunAt: plus(T0, 3 * DAY), waitingFor: 'waiting 3d, until Thu 2026-06-04 08:00 UTC' });
    expect(r.trace).toEqual([
      { stepId: 's1', note: 'send pain-a (influencer)' },
      { stepId: 'w1', note: 'waiting 3d, until Thu 2026-06-04 08:00 UTC' },
    ]);
  });

  it('chains waits from the moment the previous one ended, however late the worker runs', () => {
    // due Thu 08:00; the next Tue/Thu 09:00 from then is Thu 09:00
    const early = advance(def, start(1), ctx({ now: plus(T0, 3 * DAY + 30 * 60_000) }));
    expect(early.outcome).toEqual({ status: 'waiting', stepIndex: 2, enteredStepAt: plus(T0, 3 * DAY), nextRunAt: new Date('2026-06-04T09:00:00Z'), waitingFor: 'waiting until Thu 2026-06-04 09:00 UTC' });
    const late = advance(def, start(1), ctx({ now: new Date('2026-06-04T14:00:00Z') }));
    expect(late.actions).toEqual([{ type: 'send', stepId: 's2', template: 'pain-b', persona: 'decision-maker' }]);
    expect(late.outcome).toEqual({ status: 'completed', reason: 'completed', stepIndex: 3 });
  });

  it('waits for weekday mornings in the lead zone across DST: Europe/Berlin', () => {
    const berlin = lead({ timezone: 'Europe/Berlin' });
    // entered Fri 27 Mar 2026, before the clocks go forward on Sunday
    const r = advance(def, start(2, new Date('2026-03-27T09:00:00Z')), ctx({ lead: berlin, now: new Date('2026-03-27T09:00:00Z') }));
    expect(r.outcome).toMatchObject({ status: 'waiting', nextRunAt: new Date('2026-03-31T07:00:00Z'), waitingFor: 'waiting until Tue 2026-03-31 09:00 Europe/Berlin' });
    const due = advance(def, start(2, new Date('2026-03-27T09:00:00Z')), ctx({ lead: berlin, now: new Date('2026-03-31T07:00:00Z') }));
    expect(due.actions).toHaveLength(1);
  });

  it('waits for weekday mornings in the lead zone across DST: America/New_York', () => {
    const ny = lead({ timezone: 'America/New_York' });
    const spring = advance(def, start(2, new Date('2026-03-06T15:00:00Z')), ctx({ lead: ny, now: new Date('2026-03-06T15:00:00Z') }));
    expect(spring.outcome).toMatchObject({ nextRunAt: new Date('2026-03-10T13:00:00Z'), waitingFor: 'waiting until Tue 2026-03-10 09:00 America/New_York' });
    const autumn = advance(def, start(2, new Date('2026-10-30T15:00:00Z')), ctx({ lead: ny, now: new Date('2026-10-30T15:00:00Z') }));
    expect(autumn.outcome).toMatchObject({ nextRunAt: new Date('2026-11-03T14:00:00Z') });
    // an hour before 09:00 EST is still waiting
    expect(advance(def, start(2, new Date('2026-10-30T15:00:00Z')), ctx({ lead: ny, now: new Date('2026-11-03T13:00:00Z') })).outcome.status).toBe('waiting');
  });
});

describe('advance: wait for an event', () => {
  const def = flow(`  - { id: s1, send: pain-a }
  - { id: w, wait: { event: email.clicked, step: s1, timeout: 7d, onTimeout: nudge } }
  - { id: yes, score: { points: 5, reason: Clicked the first email } }
  - { id: stop, exit: completed }
  - { id: nudge, send: pain-b }
`);
  const waiting = start(1);

  it('waits until the timeout, saying for what', () => {
    const r = advance(def, waiting, ctx({ now: plus(T0, DAY) }));
    expect(r.outcome).toEqual({ status: 'waiting', stepIndex: 1, enteredStepAt: T0, nextRunAt: plus(T0, 7 * DAY), waitingFor: 'waiting for email.clicked on s1 until Mon 2026-06-08 08:00 UTC, then nudge' });
  });

  it('goes on when a person clicks the email of that step in time', () => {
    const r = advance(def, waiting, ctx({ now: plus(T0, 2 * DAY), activities: [click('s1', plus(T0, DAY))] }));
    expect(r.actions).toEqual([{ type: 'score', stepId: 'yes', points: 5, reason: 'Clicked the first email' }]);
    expect(r.outcome).toEqual({ status: 'completed', reason: 'completed', stepIndex: 3 });
  });

  it('ignores link scanners and clicks on other emails', () => {
    const r = advance(def, waiting, ctx({ now: plus(T0, DAY), activities: [click('s1', plus(T0, HOUR), 'machine'), click('other', plus(T0, HOUR))] }));
    expect(r.outcome.status).toBe('waiting');
  });

  it('takes onTimeout when the timeout passes first, even if a click after it is processed late', () => {
    const none = advance(def, waiting, ctx({ now: plus(T0, 7 * DAY) }));
    expect(none.actions).toEqual([{ type: 'send', stepId: 'nudge', template: 'pain-b', persona: null }]);
    expect(none.trace[0]).toEqual({ stepId: 'w', note: 'no email.clicked on s1 within 7d: to nudge' });
    const late = advance(def, waiting, ctx({ now: plus(T0, 9 * DAY), activities: [click('s1', plus(T0, 8 * DAY))] }));
    expect(late.actions[0]).toMatchObject({ stepId: 'nudge' });
  });

  it('without a step, counts only what the lead does after the wait began, with its where', () => {
    const d = flow(`  - { id: w, wait: { event: { type: webinar.registered, where: { properties.webinar: faster-close } }, timeout: 5d, onTimeout: exit } }
  - { id: yes, update: { tag: registered } }
`);
    const before = activity('webinar.registered', plus(T0, -HOUR), { properties: { webinar: 'faster-close' } });
    const other = activity('webinar.registered', plus(T0, HOUR), { properties: { webinar: 'another' } });
    expect(advance(d, start(), ctx({ now: plus(T0, 2 * HOUR), activities: [before, other] })).outcome.status).toBe('waiting');
    const right = activity('webinar.registered', plus(T0, HOUR), { properties: { webinar: 'Faster-Close' } });
    expect(advance(d, start(), ctx({ now: plus(T0, 2 * HOUR), activities: [right] })).actions).toEqual([{ type: 'update', stepId: 'yes', tag: 'registered' }]);
    expect(advance(d, start(), ctx({ now: plus(T0, 5 * DAY) })).outcome).toEqual({ status: 'exited', reason: 'exit:w', stepIndex: 0 });
  });
});

describe('advance: branches, actions and endings', () => {
  const def = flow(`  - { id: s1, send: pain-a }
  - { id: w, wait: 2d }
  - id: b
    branch:
      - { when: { grade: { in: [A+, A] }, score: { gte: 30 } }, goto: fit }
      - { when: { clicked: s1 }, goto: clicked }
      - { when: { opened: s1 }, goto: opened }
      - { else: exit }
  - { id: fit, notify: { email: sales@tallyworks.example, subject: Hot one }, next: done }
  - { id: clicked, update: { field: attributes.nurtured, value: true }, next: done }
  - { id: opened, notify: { webhook: 'https://crm.example/hook' } }
  - { id: done, exit: not-engaged }
`);
  const atBranch = (over: Partial<StepContext>) => advance(def, start(1), ctx({ now: plus(T0, 2 * DAY), ...over }));

  it('takes the first case whose conditions all hold', () => {
    expect(atBranch({ lead: lead({ grade: 'A', score: 35 }), activities: [click('s1', plus(T0, HOUR))] }).actions).toEqual([{ type: 'notify', stepId: 'fit', email: 'sales@tallyworks.example', subject: 'Hot one' }]);
    expect(atBranch({ lead: lead({ grade: 'A', score: 20 }), activities: [click('s1', plus(T0, HOUR))] }).actions).toEqual([{ type: 'update', stepId: 'clicked', field: 'attributes.nurtured', value: true }]);
  });

  it('reads clicked and opened from activity on the step email; a click counts as an open', () => {
    const open = activity('email.opened', plus(T0, HOUR), { stepId: 's1', classification: 'human' });
    expect(atBranch({ activities: [open] }).actions).toEqual([{ type: 'notify', stepId: 'opened', webhook: 'https://crm.example/hook' }]);
    expect(atBranch({ activities: [activity('email.opened', plus(T0, HOUR), { stepId: 's1', classification: 'apple-mpp' })] }).outcome).toEqual({ status: 'exited', reason: 'exit:b', stepIndex: 2 });
    const notForMachines = flow(`  - { id: s1, send: pain-a }
  - { id: w, wait: 1d }
  - id: b
    branch:
      - { when: { opened: s1 }, goto: o }
  - { id: n, exit: unopened }
  - { id: o, exit: completed }
`);
    expect(advance(notForMachines, start(1), ctx({ now: plus(T0, DAY), activities: [click('s1', plus(T0, HOUR))] })).outcome).toEqual({ status: 'completed', reason: 'completed', stepIndex: 4 });
    // no case holds and no else: the next step
    expect(advance(notForMachines, start(1), ctx({ now: plus(T0, DAY) })).outcome).toEqual({ status: 'exited', reason: 'unopened', stepIndex: 3 });
  });

  it('ends at exit steps with their reason, and leaves at `exit` targets', () => {
    const r = atBranch({ lead: lead({ grade: 'A+', score: 50 }) });
    expect(r.outcome).toEqual({ status: 'exited', reason: 'not-engaged', stepIndex: 6 });
    expect(r.trace.map((t) => t.stepId)).toEqual(['w', 'b', 'fit', 'done']);
    expect(atBranch({}).outcome).toEqual({ status: 'exited', reason: 'exit:b', stepIndex: 2 });
  });

  it('scores, and runs off the end as completed, or exhausted for a track', () => {
    const steps = '  - { id: s, score: { points: -2.5 } }\n  - { id: g, goto: end }\n  - { id: never, score: { points: 1 } }\n  - { id: w, wait: 1d, next: never }\n';
    expect(() => flow(steps)).toThrow('never reached');
    const d = flow('  - { id: s, score: { points: -2.5 } }\n  - { id: u, update: { tag: done } }\n');
    const r = advance(d, start(), ctx());
    expect(r.actions).toEqual([
      { type: 'score', stepId: 's', points: -2.5, reason: 'T: s' },
      { type: 'update', stepId: 'u', tag: 'done' },
    ]);
    expect(r.outcome).toEqual({ status: 'completed', reason: 'completed', stepIndex: 1 });
    const track = wf('key: t\nname: T\ntrack: cold\nsteps:\n  - { id: s, send: pain-a }\n  - { id: g, goto: end }\n');
    expect(advance(track, start(), ctx()).outcome).toEqual({ status: 'completed', reason: 'exhausted', stepIndex: 1 });
    expect(advance(track, start(7), ctx()).outcome).toEqual({ status: 'completed', reason: 'exhausted', stepIndex: 7 });
  });
});

describe('advance: goals and leaving', () => {
  const def = flow(
    '  - { id: s1, send: pain-a }\n  - { id: w, wait: 1d }\n',
    'trigger: { manual: {} }\ngoals:\n  - { id: mql, stage: mql }\n  - { id: booked, event: custom.meeting_booked }\n  - { id: fit, where: { grade: [A+, A] } }\n  - { id: hot, temperature: hot }',
  );

  it('exits with goal:<id>, before any step runs; a stage goal is met by later stages too', () => {
    expect(advance(def, start(), ctx({ lead: lead({ stage: 'sales-ready' }) }))).toEqual({ actions: [], trace: [], outcome: { status: 'exited', reason: 'goal:mql', stepIndex: 0 } });
    expect(advance(def, start(), ctx({ lead: lead({ stage: 'interest' }) })).actions).toHaveLength(1);
    expect(advance(def, start(), ctx({ activities: [activity('custom.meeting_booked', T0)] })).outcome).toMatchObject({ reason: 'goal:booked' });
    expect(advance(def, start(), ctx({ lead: lead({ grade: 'a' }) })).outcome).toMatchObject({ reason: 'goal:fit' });
    expect(advance(def, start(), ctx({ lead: lead({ temperature: 'hot' }) })).outcome).toMatchObject({ reason: 'goal:hot' });
  });

  it('leaves an unsubscribed, erased, suppressed or opted-out lead at once', () => {
    expect(advance(def, start(), ctx({ lead: lead({ unsubscribedAt: T0 }) })).outcome).toEqual({ status: 'exited', reason: 'unsubscribed', stepIndex: 0 });
    expect(advance(def, start(), ctx({ lead: lead({ erasedAt: T0 }) })).outcome).toMatchObject({ reason: 'erased' });
    expect(advance(def, start(), ctx({ lead: lead({ suppression: 'bounced' }) })).outcome).toMatchObject({ reason: 'bounced' });
    expect(advance(def, start(), ctx({ lead: lead({ consent: false }) })).outcome).toMatchObject({ reason: 'no-consent' });
  });

  it('leaves a track once a sales rep owns the lead; other workflows only when they say so', () => {
    expect(advance(def, start(), ctx({ lead: lead({ ownerId: 'rep-1' }) })).actions).toHaveLength(1);
    const track = wf('key: t\nname: T\ntrack: warm\nsteps:\n  - { id: s1, send: pain-a }\n');
    expect(advance(track, start(), ctx({ lead: lead({ ownerId: 'rep-1' }) })).outcome).toMatchObject({ status: 'exited', reason: 'sales-owned' });
    const opted = flow('  - { id: s1, send: pain-a }\n', 'trigger: { manual: {} }\nexitWhen: { salesOwned: true }');
    expect(advance(opted, start(), ctx({ lead: lead({ ownerId: 'rep-1' }) })).outcome).toMatchObject({ reason: 'sales-owned' });
  });
});

describe('tracks never send the same content twice', () => {
  const track = wf(`key: cold
name: Cold
track: cold
steps:
  - { id: m1, wait: { until: { weekdays: [tue], time: '09:00' } } }
  - { id: a, send: pain-a }
  - { id: p1, wait: 5d }
  - { id: m2, wait: { until: { weekdays: [tue], time: '09:00' } } }
  - { id: b, send: pain-b }
  - { id: p2, wait: 5d }
  - { id: c, send: pain-c }
`);

  it('skips a send of a template the lead already received, from any workflow', () => {
    const r = advance(track, start(1), ctx({ sentTemplates: new Set(['pain-a']) }));
    expect(r.actions).toEqual([]);
    expect(r.trace[0]).toEqual({ stepId: 'a', note: 'skipped: already received pain-a' });
    expect(r.outcome).toMatchObject({ status: 'waiting', stepIndex: 2 });
    const plain = flow('  - { id: a, send: pain-a }\n');
    expect(advance(plain, start(), ctx({ sentTemplates: new Set(['pain-a']) })).actions).toHaveLength(1);
  });

  it('trackEntryPoint starts at the first unsent email, with the weekday wait in front of it', () => {
    expect(trackEntryPoint(track, new Set())).toBe(0);
    expect(trackEntryPoint(track, new Set(['pain-a']))).toBe(3);
    expect(trackEntryPoint(track, new Set(['pain-a', 'pain-b']))).toBe(6);
    expect(trackEntryPoint(track, new Set(['pain-b']))).toBe(0);
    expect(trackEntryPoint(track, new Set(['pain-a', 'pain-b', 'pain-c']))).toBe('exhausted');
  });
});

describe('the maxSteps guard', () => {
  it('stops a loop without a wait that slipped past validation', () => {
    const looping: WorkflowDefinition = {
      ...flow('  - { id: s, score: { points: 1 } }\n'),
      steps: [
        { id: 's', index: 0, line: 5, kind: 'score', points: 1, reason: 'x', next: 1 },
        { id: 'g', index: 1, line: 6, kind: 'goto', target: 0 },
      ],
    };
    const r = advance(looping, start(), ctx(), 10);
    expect(r.outcome).toEqual({ status: 'exited', reason: 'max-steps', stepIndex: 0 });
    expect(r.actions).toHaveLength(5);
    expect(r.trace.at(-1)).toEqual({ stepId: 's', note: 'stopped after 10 steps without a wait' });
  });

  it('also bounds a long run of steps; the actions so far are kept', () => {
    const d = flow('  - { id: a, score: { points: 1 } }\n  - { id: b, score: { points: 1 } }\n  - { id: c, score: { points: 1 } }\n');
    const r = advance(d, start(), ctx(), 2);
    expect(r.actions.map((a) => a.stepId)).toEqual(['a', 'b']);
    expect(r.outcome).toEqual({ status: 'exited', reason: 'max-steps', stepIndex: 2 });
  });
});

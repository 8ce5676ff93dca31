import { formatProblem } from '../common/yaml-model';
import { goalMet, reentryAllowed, triggerMatches } from './step-machine.rules';
import { parseWorkflow } from './workflow.schema';
import type { LeadChange, LeadView, WorkflowDefinition } from './workflow.types';

const STEPS = 'steps:\n  - { id: w, wait: 1d }\n';
function wf(head: string): WorkflowDefinition {
  const r = parseWorkflow(`key: t\nname: T\n${head}\n${STEPS}`, 'w.yaml', { templates: new Set() });
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.workflow;
}

const lead = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ score: 0, grade: null, persona: null, temperature: 'cold', stage: 'awareness', country: 'DE', industry: 'Logistics', ...over });
const created: LeadChange = { kind: 'lead-created' };
const event = (type: string, properties: Record<string, unknown> = {}, classification?: string | null): LeadChange => ({ kind: 'event', type, properties, ...(classification !== undefined ? { classification } : {}) });

describe('triggerMatches', () => {
  it('lead-created', () => {
    const d = wf('trigger: { lead-created: {} }');
    expect(triggerMatches(d, created, lead())).toBe(true);
    expect(triggerMatches(d, event('page.visited'), lead())).toBe(false);
  });

  it('event: type (or wildcard) and where on the event and the lead', () => {
    const d = wf('trigger: { event: { type: webinar.registered, where: { properties.webinar: faster-close, lead.country: [DE, AT] } } }');
    expect(triggerMatches(d, event('webinar.registered', { webinar: 'faster-close' }), lead())).toBe(true);
    expect(triggerMatches(d, event('webinar.registered', { webinar: 'other' }), lead())).toBe(false);
    expect(triggerMatches(d, event('webinar.registered', { webinar: 'faster-close' }), lead({ country: 'US' }))).toBe(false);
    expect(triggerMatches(d, event('webinar.attended', { webinar: 'faster-close' }), lead())).toBe(false);
    const pages = wf('trigger: { event: page.* }');
    expect(triggerMatches(pages, event('page.visited'), lead())).toBe(true);
  });

  it('event: an open or click triggers only when a person made it, when the classification is known', () => {
    const d = wf('trigger: { event: email.clicked }');
    expect(triggerMatches(d, event('email.clicked', {}, 'human'), lead())).toBe(true);
    expect(triggerMatches(d, event('email.clicked', {}, 'scanner'), lead())).toBe(false);
    expect(triggerMatches(d, event('email.clicked', {}, null), lead())).toBe(false);
    expect(triggerMatches(d, event('email.clicked'), lead())).toBe(true);
  });

  it('temperature and stage: entering that one', () => {
    const warm = wf('trigger: { temperature: warm }');
    expect(triggerMatches(warm, { kind: 'temperature', to: 'warm' }, lead())).toBe(true);
    expect(triggerMatches(warm, { kind: 'temperature', to: 'hot' }, lead())).toBe(false);
    const mql = wf('trigger: { stage: mql }');
    expect(triggerMatches(mql, { kind: 'stage', to: 'mql' }, lead())).toBe(true);
    expect(triggerMatches(mql, { kind: 'temperature', to: 'warm' }, lead())).toBe(false);
    // a track is entered on its temperature
    const hot = wf('track: hot');
    expect(triggerMatches(hot, { kind: 'temperature', to: 'hot' }, lead())).toBe(true);
    expect(triggerMatches(hot, { kind: 'temperature', to: 'warm' }, lead())).toBe(false);
  });

  it('segment: any change of a lead that matches; manual: never', () => {
    const d = wf('trigger: { segment: { where: { lead.industry: logistics, score: { gte: 10 } } } }');
    expect(triggerMatches(d, { kind: 'lead-changed' }, lead({ score: 12 }))).toBe(true);
    expect(triggerMatches(d, created, lead({ score: 12 }))).toBe(true);
    expect(triggerMatches(d, { kind: 'lead-changed' }, lead({ score: 9 }))).toBe(false);
    expect(triggerMatches(wf('trigger: { manual: {} }'), created, lead())).toBe(false);
  });

  it('needs the entry conditions, and never enrolls a barred lead', () => {
    const d = wf('trigger: { lead-created: {} }\nentry: { where: { lead.country: { in: [DE, AT, CH] } } }');
    expect(triggerMatches(d, created, lead({ country: 'ch' }))).toBe(true);
    expect(triggerMatches(d, created, lead({ country: 'FR' }))).toBe(false);
    expect(triggerMatches(d, created, lead({ unsubscribedAt: new Date() }))).toBe(false);
    expect(triggerMatches(wf('track: cold'), { kind: 'temperature', to: 'cold' }, lead({ ownerId: 'rep-1' }))).toBe(false);
  });
});

describe('reentryAllowed', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const ended = (daysAgo: number) => ({ endedAt: new Date(now.getTime() - daysAgo * 86_400_000) });

  it('never (the default), always, or after a time since the last enrollment ended', () => {
    expect(reentryAllowed(wf('trigger: { manual: {} }'), null, now)).toBe(true);
    expect(reentryAllowed(wf('trigger: { manual: {} }'), ended(400), now)).toBe(false);
    expect(reentryAllowed(wf('trigger: { manual: {} }\nreentry: always'), ended(0), now)).toBe(true);
    const after = wf('trigger: { manual: {} }\nreentry: { after: 30d }');
    expect(reentryAllowed(after, ended(29), now)).toBe(false);
    expect(reentryAllowed(after, ended(30), now)).toBe(true);
    // a running enrollment is never doubled
    expect(reentryAllowed(wf('trigger: { manual: {} }\nreentry: always'), { endedAt: null }, now)).toBe(false);
    // tracks take a lead back by default: what it received is skipped
    expect(reentryAllowed(wf('track: cold'), ended(1), now)).toBe(true);
  });
});

describe('goalMet', () => {
  it('reads event goals with their where from the activities since enrollment, as a person made them', () => {
    const d = wf('trigger: { manual: {} }\ngoals:\n  - { id: demo-click, event: { type: email.clicked, where: { properties.url: { contains: /demo } } } }');
    const lv = lead() as LeadView;
    const clickOn = (url: string, classification: string | null) => ({ type: 'email.clicked', occurredAt: new Date(), properties: { url }, stepId: null, classification });
    expect(goalMet(d, { lead: lv, activities: [clickOn('https://x.example/demo', 'human')] })).toBe('demo-click');
    expect(goalMet(d, { lead: lv, activities: [clickOn('https://x.example/demo', 'scanner')] })).toBeNull();
    expect(goalMet(d, { lead: lv, activities: [clickOn('https://x.example/blog', 'human')] })).toBeNull();
  });
});

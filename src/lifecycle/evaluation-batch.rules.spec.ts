import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseGradingModel } from '../grading/grading-model.schema';
import { parseScoringModel } from '../scoring/scoring-model.schema';
import { ScorableEvent } from '../scoring/scoring.rules';
import { ClaimedLead, planBatch } from './evaluation-batch.rules';
import { LeadSnapshot, evaluateLead } from './lead-evaluation.rules';

const read = (f: string) => readFileSync(resolve(__dirname, '../../workflows', f), 'utf8');
const scoring = parseScoringModel(read('scoring.yaml'), 'scoring.yaml');
const grading = parseGradingModel(read('grading.yaml'), 'grading.yaml');
if (!scoring.ok || !grading.ok) throw new Error('the shipped models do not parse');
const models = { scoring: scoring.model, grading: grading.model };

const now = new Date('2025-06-01T12:00:00Z');
const snapshot = (profile: Record<string, unknown> = {}): LeadSnapshot => ({
  profile: { email: 'x@acme.test', ...profile },
  scores: { total: 0 },
  grade: null,
  persona: null,
  stage: 'awareness',
  temperature: 'cold',
  temperatureSince: new Date('2025-01-01T00:00:00Z'),
  ruleStats: {},
  signals: [],
  lastActivityAt: null,
  decayedAt: null,
});
const lead = (id: string, over: Partial<ClaimedLead> = {}): ClaimedLead => ({ id, erased: false, fresh: false, needsEvaluation: false, snapshot: snapshot(), ...over });
let seq = 0;
const act = (type: string, minutes: number, properties: Record<string, unknown> = {}): ScorableEvent => ({
  id: `00000000-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
  type,
  occurredAt: new Date(now.getTime() - 3600_000 + minutes * 60_000),
  properties,
  classification: null,
});

describe('planBatch', () => {
  it('gives each lead of a batch exactly what evaluating it alone gives', () => {
    const a = lead('a', { snapshot: snapshot({ jobTitle: 'CEO', companySize: 200 }) });
    const b = lead('b', { fresh: true });
    const aActs = [act('content.downloaded', 1, { product: 'crm' }), act('webinar.registered', 2), act('webinar.attended', 3)];
    const bActs = [act('form.submitted', 5, { form: 'contact' })];
    const plan = planBatch([a, b], new Map([['a', aActs], ['b', bActs]]), models, now, 1000);

    const alone = (l: ClaimedLead, acts: ScorableEvent[]) => evaluateLead(l.snapshot, acts, models, now);
    expect(plan.writes.map((w) => w.leadId)).toEqual(['a', 'b']);
    for (const [w, l, acts] of [[plan.writes[0], a, aActs], [plan.writes[1], b, bActs]] as const) {
      const expected = alone(l, acts);
      expect(w.next).toEqual(expected.next);
      expect(w.ledger).toEqual(expected.ledger);
      expect(w.transitions).toEqual(expected.transitions);
    }
    expect(plan.writes[0].next.scores.total).toBeGreaterThan(plan.writes[1].next.scores.total);
    expect(plan.activityIds).toEqual([...aActs, ...bActs].map((x) => x.id));
    expect(plan.worked).toBe(2);
  });

  it('tells the follow-ups what each lead went through: transitions, first evaluation, activities oldest first', () => {
    const acts = [act('info.requested', 1, { topic: 'demo' }), act('content.downloaded', 2, { product: 'crm' }), act('webinar.attended', 3)];
    const plan = planBatch([lead('a', { fresh: true })], new Map([['a', acts]]), models, now, 1000);
    expect(plan.changes).toHaveLength(1);
    const [change] = plan.changes;
    expect(change).toMatchObject({ leadId: 'a', created: true });
    expect(change.activities).toEqual(acts.map((x) => ({ type: x.type, properties: x.properties })));
    expect(change.transitions.map((t) => t.kind)).toEqual(expect.arrayContaining(['stage', 'temperature']));
    expect(change.transitions).toEqual(plan.writes[0].transitions);
  });

  it("only retires an erased lead's activities: no state written, nothing to follow up", () => {
    const acts = [act('page.visited', 1), act('form.submitted', 2)];
    const plan = planBatch([lead('gone', { erased: true, needsEvaluation: true })], new Map([['gone', acts]]), models, now, 1000);
    expect(plan.writes).toEqual([]);
    expect(plan.changes).toEqual([]);
    expect(plan.activityIds).toEqual(acts.map((x) => x.id));
    expect(plan.worked).toBe(1);
  });

  it('leaves a lead with nothing pending and an unchanged profile alone', () => {
    const plan = planBatch([lead('idle')], new Map(), models, now, 1000);
    expect(plan).toEqual({ writes: [], activityIds: [], changes: [], more: [], worked: 0 });
  });

  it('evaluates a changed profile without activities, and announces it only if something moved or the lead is new', () => {
    const ceo = lead('ceo', { needsEvaluation: true, snapshot: snapshot({ jobTitle: 'CEO', companySize: 200, industry: 'Manufacturing', country: 'DE' }) });
    const plain = lead('plain', { needsEvaluation: true, snapshot: { ...snapshot(), grade: evaluateLead(snapshot(), [], models, now).next.grade } });
    const plan = planBatch([ceo, plain], new Map(), models, now, 1000);
    expect(plan.writes.map((w) => w.leadId)).toEqual(['ceo', 'plain']);
    expect(plan.writes[0].next.grade).not.toBeNull();
    expect(plan.changes.map((c) => c.leadId)).toEqual(['ceo']);
    expect(plan.changes[0].transitions.some((t) => t.kind === 'grade' && t.cause === 'profile')).toBe(true);
  });

  it('flags the leads that may have more pending than were read', () => {
    const full = [act('page.visited', 1), act('page.visited', 2)];
    const plan = planBatch([lead('full'), lead('short')], new Map([['full', full], ['short', [act('page.visited', 3)]]]), models, now, 2);
    expect(plan.more).toEqual(['full']);
  });
});

import { Condition, FieldRef, Scalar, durationMs } from '../scoring/scoring-model.schema';
import type { EventSpecSource, StepSource, WorkflowSource } from './workflow.schema';
import { stepKind } from './workflow-validate.rules';
import { BranchTest, Goal, Step, Target, Trigger, WEEKDAYS, WaitEventStep, WorkflowDefinition } from './workflow.types';

type ConditionSource = Scalar | Scalar[] | Omit<Condition, 'field'>;

/** `score`, `grade`, ... are the lead's own fields: the engine passes them on the lead record. */
function fieldRef(text: string): FieldRef {
  const [head, ...rest] = text.split('.');
  if (head === 'properties' || head === 'lead') return { source: head, keys: rest, text };
  return { source: 'lead', keys: [head, ...rest], text };
}

function toCondition(path: string, c: ConditionSource): Condition {
  return { field: fieldRef(path), ...(Array.isArray(c) ? { in: c } : typeof c === 'object' ? c : { equals: c }) };
}

export const toConditions = (where: Record<string, ConditionSource> | undefined): Condition[] => Object.entries(where ?? {}).map(([path, c]) => toCondition(path, c));

const eventOf = (e: EventSpecSource): { event: string; where: Condition[] } => (typeof e === 'string' ? { event: e, where: [] } : { event: e.type, where: toConditions(e.where) });

function toTrigger(m: WorkflowSource): Trigger {
  const t = m.trigger;
  if (!t) return { kind: 'temperature', temperature: m.track! };
  if (t['lead-created']) return { kind: 'lead-created' };
  if (t.event !== undefined) return { kind: 'event', ...eventOf(t.event) };
  if (t.temperature) return { kind: 'temperature', temperature: t.temperature };
  if (t.stage) return { kind: 'stage', stage: t.stage };
  if (t.segment) return { kind: 'segment', where: toConditions(t.segment.where) };
  return { kind: 'manual' };
}

function toGoal(g: NonNullable<WorkflowSource['goals']>[number]): Goal {
  if (g.stage) return { id: g.id, kind: 'stage', stage: g.stage };
  if (g.temperature) return { id: g.id, kind: 'temperature', temperature: g.temperature };
  if (g.event !== undefined) return { id: g.id, kind: 'event', ...eventOf(g.event) };
  return { id: g.id, kind: 'where', where: toConditions(g.where) };
}

function toBranchTests(when: Record<string, ConditionSource>): BranchTest[] {
  return Object.entries(when).map(([key, c]): BranchTest => {
    if (key === 'clicked' || key === 'opened') return { kind: key, steps: (Array.isArray(c) ? c : [c]).map(String) };
    return { kind: 'field', condition: toCondition(key, c) };
  });
}

/** Builds one step of a workflow that passed workflowProblems, so every reference resolves. */
function toStep(s: StepSource, index: number, line: number, resolve: (target: string) => Target, name: string): Step {
  const base = { id: s.id, index, line };
  const next = resolve(s.next ?? 'next');
  const kind = stepKind(s);
  switch (kind) {
    case 'send':
      return { ...base, kind, template: s.send!, persona: s.persona ?? null, next };
    case 'wait':
      return { ...base, kind, ms: durationMs(s.wait as string)!, duration: (s.wait as string).trim(), next };
    case 'wait-until': {
      const until = (s.wait as Exclude<StepSource['wait'], string | undefined>).until!;
      const weekdays = until.weekdays ? [...new Set(until.weekdays.map((d) => WEEKDAYS.indexOf(d)))].sort((a, b) => a - b) : [0, 1, 2, 3, 4, 5, 6];
      return { ...base, kind, weekdays, time: until.time, next };
    }
    case 'wait-event': {
      const w = s.wait as Exclude<StepSource['wait'], string | undefined>;
      const step: WaitEventStep = { ...base, kind, ...eventOf(w.event!), stepRef: w.step ?? null, timeoutMs: durationMs(w.timeout!)!, timeout: w.timeout!.trim(), next, onTimeout: w.onTimeout ? resolve(w.onTimeout) : next };
      return step;
    }
    case 'branch': {
      const cases = s.branch!.filter((c) => c.else === undefined).map((c) => ({ when: toBranchTests(c.when!), target: resolve(c.goto!) }));
      const otherwise = s.branch!.find((c) => c.else !== undefined)?.else;
      return { ...base, kind, cases, otherwise: resolve(otherwise ?? 'next') };
    }
    case 'score':
      return { ...base, kind, points: s.score!.points, reason: s.score!.reason ?? `${name}: ${s.id}`, next };
    case 'update':
      return { ...base, kind, ...s.update!, next };
    case 'notify':
      return { ...base, kind, ...s.notify!, next };
    case 'goto':
      return { ...base, kind, target: resolve(s.goto!) };
    case 'exit':
      return { ...base, kind, status: s.exit === 'completed' ? 'completed' : 'exited', reason: s.exit! };
    case null:
      throw new Error(`step ${s.id} has no single action; validate before normalising`);
  }
}

/** The engine's form of a validated workflow file. */
export function toDefinition(m: WorkflowSource, src: { file: string; version: string; lineOf: (path: readonly PropertyKey[]) => number }): WorkflowDefinition {
  const index = new Map(m.steps.map((s, i) => [s.id, i]));
  const steps = m.steps.map((s, i) => {
    const resolve = (target: string): Target => {
      if (target === 'exit') return 'exit';
      if (target === 'end') return 'complete';
      const to = target === 'next' ? i + 1 : index.get(target)!;
      return to < m.steps.length ? to : 'complete';
    };
    return toStep(s, i, src.lineOf(['steps', i]), resolve, m.name);
  });
  const track = m.track ?? null;
  const after = typeof m.reentry === 'object' ? durationMs(m.reentry.after)! : undefined;
  return {
    key: m.key,
    name: m.name,
    version: src.version,
    file: src.file,
    track,
    priority: m.priority ?? 0,
    trigger: toTrigger(m),
    entry: { where: toConditions(m.entry?.where) },
    // A lead that cools down and warms up again belongs back in its track; what it already
    // received is skipped, so re-entering a track is safe by default.
    reentry: after !== undefined ? { mode: 'after', afterMs: after } : { mode: (m.reentry as 'never' | 'always' | undefined) ?? (track ? 'always' : 'never') },
    goals: (m.goals ?? []).map(toGoal),
    exitWhen: { salesOwned: m.exitWhen?.salesOwned ?? track !== null },
    steps,
    lines: { key: src.lineOf(['key']), track: track ? src.lineOf(['track']) : null },
  };
}

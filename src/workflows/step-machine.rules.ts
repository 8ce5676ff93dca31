import { describeInstant, nextWeekdayTime } from './calendar.rules';
import { branchTestHolds, goalMet, leaveReason, matchingActivity, reentryAllowed, triggerMatches } from './conditions.rules';
import type { Step, StepContext, Target, WorkflowDefinition } from './workflow.types';

export type { ActivityView, LeadChange, LeadView, StepContext } from './workflow.types';
export { goalMet, leaveReason, nextWeekdayTime, reentryAllowed, triggerMatches };

export interface EnrollmentState {
  stepIndex: number;
  /** when the current step began: waits measure from it */
  enteredStepAt: Date;
}

export type Action =
  | { type: 'send'; stepId: string; template: string; persona: string | null }
  | { type: 'score'; stepId: string; points: number; reason: string }
  | { type: 'update'; stepId: string; field?: string; value?: unknown; tag?: string }
  | { type: 'notify'; stepId: string; email?: string; webhook?: string; subject?: string };

export type Outcome =
  | { status: 'waiting'; stepIndex: number; enteredStepAt: Date; nextRunAt: Date; waitingFor: string }
  | { status: 'completed' | 'exited'; reason: string; stepIndex: number };

export interface TraceEntry {
  stepId: string;
  note: string;
}

export interface AdvanceResult {
  actions: Action[];
  outcome: Outcome;
  trace: TraceEntry[];
}

const targetName = (def: WorkflowDefinition, t: Target): string => (typeof t === 'number' ? def.steps[t].id : t === 'exit' ? 'exit' : 'the end');

type StepResult = { go: Target; clock: Date; note: string } | { wait: Date; text: string };

/**
 * One step. `clock` is when the step began. A wait that is over hands on the moment it ended,
 * so consecutive waits (3 days, then the next Tuesday 09:00) add up however late the worker
 * runs; an action hands on `now`, when it actually happened.
 */
function runStep(def: WorkflowDefinition, step: Step, clock: Date, ctx: StepContext, actions: Action[]): StepResult {
  const now = ctx.now;
  const zone = ctx.lead.timezone ?? null;
  switch (step.kind) {
    case 'send': {
      if (def.track !== null && ctx.sentTemplates.has(step.template)) return { go: step.next, clock, note: `skipped: already received ${step.template}` };
      const persona = step.persona ?? ctx.lead.persona ?? null;
      actions.push({ type: 'send', stepId: step.id, template: step.template, persona });
      return { go: step.next, clock: now, note: `send ${step.template}${persona ? ` (${persona})` : ''}` };
    }
    case 'wait': {
      const due = new Date(clock.getTime() + step.ms);
      if (now < due) return { wait: due, text: `waiting ${step.duration}, until ${describeInstant(due, zone)}` };
      return { go: step.next, clock: due, note: `waited ${step.duration}` };
    }
    case 'wait-until': {
      const due = nextWeekdayTime(clock, step.weekdays, step.time, zone);
      if (now < due) return { wait: due, text: `waiting until ${describeInstant(due, zone)}` };
      return { go: step.next, clock: due, note: `waited until ${describeInstant(due, zone)}` };
    }
    case 'wait-event': {
      const deadline = new Date(clock.getTime() + step.timeoutMs);
      const about = step.stepRef ? ` on ${step.stepRef}` : '';
      // About an email: any activity on it counts, even before this wait began. Otherwise only
      // what the lead does from now on. Past the deadline the timeout has won, however late
      // the activity is processed.
      const hit = matchingActivity(ctx, step.event, {
        where: step.where,
        stepIds: step.stepRef ? [step.stepRef] : undefined,
        from: step.stepRef ? undefined : clock,
        until: deadline < now ? deadline : now,
      });
      if (hit) {
        const at = new Date(Math.max(clock.getTime(), hit.occurredAt.getTime()));
        return { go: step.next, clock: at, note: `${hit.type}${about} at ${at.toISOString()}` };
      }
      if (now >= deadline) return { go: step.onTimeout, clock: deadline, note: `no ${step.event}${about} within ${step.timeout}: to ${targetName(def, step.onTimeout)}` };
      return { wait: deadline, text: `waiting for ${step.event}${about} until ${describeInstant(deadline, zone)}, then ${targetName(def, step.onTimeout)}` };
    }
    case 'branch': {
      const i = step.cases.findIndex((c) => c.when.every((t) => branchTestHolds(t, ctx)));
      const go = i >= 0 ? step.cases[i].target : step.otherwise;
      return { go, clock, note: `${i >= 0 ? `case ${i + 1}` : 'else'}: to ${targetName(def, go)}` };
    }
    case 'score':
      actions.push({ type: 'score', stepId: step.id, points: step.points, reason: step.reason });
      return { go: step.next, clock: now, note: `${step.points > 0 ? '+' : ''}${step.points} points` };
    case 'update': {
      const { field, value, tag } = step;
      actions.push({ type: 'update', stepId: step.id, ...(field !== undefined ? { field, value } : { tag }) });
      return { go: step.next, clock: now, note: field !== undefined ? `set ${field}` : `tag ${tag}` };
    }
    case 'notify': {
      const { email, webhook, subject } = step;
      actions.push({ type: 'notify', stepId: step.id, ...(email !== undefined ? { email, subject } : { webhook }) });
      return { go: step.next, clock: now, note: `notify ${email ?? webhook}` };
    }
    case 'goto':
      return { go: step.target, clock, note: `to ${targetName(def, step.target)}` };
    case 'exit':
      return { go: 'exit', clock, note: step.reason };
  }
}

/**
 * Runs steps from the current one until it must wait or ends, at most `maxSteps` of them (the
 * validator refuses loops without a wait; the guard is for a definition that slipped through).
 * A send is an action and the machine moves on past it: the engine writes the send row in the
 * same transaction. Tracks skip templates the lead already received. The lead leaves at once
 * when it is barred (leaveReason) or has met a goal (`goal:<id>`); the context does not change
 * during one call, so checking once before the first step equals checking before each.
 */
export function advance(def: WorkflowDefinition, state: EnrollmentState, ctx: StepContext, maxSteps = 100): AdvanceResult {
  const actions: Action[] = [];
  const trace: TraceEntry[] = [];
  const end = (status: 'completed' | 'exited', reason: string, stepIndex: number): AdvanceResult => ({ actions, outcome: { status, reason, stepIndex }, trace });
  const ranOff = (stepIndex: number) => end('completed', def.track !== null ? 'exhausted' : 'completed', stepIndex);

  const barred = leaveReason(def, ctx.lead);
  if (barred) return end('exited', barred, state.stepIndex);
  const goal = goalMet(def, ctx);
  if (goal) return end('exited', `goal:${goal}`, state.stepIndex);

  let index = state.stepIndex;
  let clock = state.enteredStepAt;
  if (index < 0 || index >= def.steps.length) return ranOff(index);
  for (let n = 0; n < maxSteps; n++) {
    const step = def.steps[index];
    const r = runStep(def, step, clock, ctx, actions);
    if ('wait' in r) {
      trace.push({ stepId: step.id, note: r.text });
      return { actions, outcome: { status: 'waiting', stepIndex: index, enteredStepAt: clock, nextRunAt: r.wait, waitingFor: r.text }, trace };
    }
    trace.push({ stepId: step.id, note: r.note });
    if (step.kind === 'exit') return end(step.status, step.reason, index);
    if (r.go === 'exit') return end('exited', `exit:${step.id}`, index);
    if (r.go === 'complete') return ranOff(index);
    index = r.go;
    clock = r.clock;
  }
  trace.push({ stepId: def.steps[index].id, note: `stopped after ${maxSteps} steps without a wait` });
  return end('exited', 'max-steps', index);
}

/**
 * Where a lead entering a track should start: at the first send of a template it has not
 * received, or 'exhausted'. A send timed by a wait-until (weekday mornings) starts at that
 * wait, so a lead joining mid-way still gets it at the time the marketer chose; waits of days
 * before it are skipped, the lead has had no email from this track to pause after.
 */
export function trackEntryPoint(def: WorkflowDefinition, sentTemplates: ReadonlySet<string>): number | 'exhausted' {
  const first = def.steps.findIndex((s) => s.kind === 'send' && !sentTemplates.has(s.template));
  if (first < 0) return 'exhausted';
  let start = first;
  while (start > 0 && def.steps[start - 1].kind === 'wait-until') start--;
  return start;
}

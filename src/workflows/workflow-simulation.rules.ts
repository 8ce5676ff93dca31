import { Action, advance } from './step-machine.rules';
import { describeInstant } from './calendar.rules';
import { ActivityView, LeadView, WorkflowDefinition } from './workflow.types';

export interface SimulatedStep {
  at: Date;
  what: string;
}

/**
 * A lead's path through a workflow on a simulated clock, without sending anything: actions
 * as they would happen, waits jumped over, events from `events` appearing at their time.
 * Ignores the send policy (quiet hours, caps) and other workflows; says so in its first line.
 */
export function simulateWorkflow(
  def: WorkflowDefinition,
  lead: LeadView,
  events: readonly ActivityView[],
  start: Date,
  opts: { maxRuns?: number; horizonMs?: number } = {},
): SimulatedStep[] {
  const path: SimulatedStep[] = [{ at: start, what: `enrolled in ${def.key} (send policy and other workflows not simulated)` }];
  const sent = new Set<string>();
  const horizon = start.getTime() + (opts.horizonMs ?? 365 * 86400_000);
  let state = { stepIndex: 0, enteredStepAt: start };
  let now = start;
  for (let run = 0; run < (opts.maxRuns ?? 200); run++) {
    const ctx = { lead, activities: events.filter((e) => e.occurredAt <= now), sentTemplates: sent, now };
    const result = advance(def, state, ctx);
    for (const a of result.actions) {
      path.push({ at: now, what: describe(a) });
      if (a.type === 'send') sent.add(a.template);
    }
    const o = result.outcome;
    if (o.status !== 'waiting') {
      path.push({ at: now, what: `${o.status}: ${o.reason}` });
      return path;
    }
    // the next thing that can move the lead on: the timer, or an event before it
    const nextEvent = events.find((e) => e.occurredAt > now && e.occurredAt < o.nextRunAt);
    const next = nextEvent ? nextEvent.occurredAt : o.nextRunAt;
    path.push({ at: now, what: `${def.steps[o.stepIndex]?.id ?? '?'}: ${o.waitingFor}` });
    if (next.getTime() > horizon) {
      path.push({ at: next, what: 'still waiting at the end of the simulated year' });
      return path;
    }
    state = { stepIndex: o.stepIndex, enteredStepAt: o.enteredStepAt };
    now = new Date(Math.max(next.getTime(), now.getTime() + 1));
  }
  path.push({ at: now, what: 'stopped: too many runs (a loop?)' });
  return path;
}

function describe(a: Action): string {
  switch (a.type) {
    case 'send':
      return `${a.stepId}: send ${a.template}${a.persona ? ` (${a.persona})` : ''}`;
    case 'score':
      return `${a.stepId}: score ${a.points > 0 ? '+' : ''}${a.points} (${a.reason})`;
    case 'update':
      return `${a.stepId}: update ${a.tag ? `tag ${a.tag}` : `${a.field} = ${JSON.stringify(a.value)}`}`;
    case 'notify':
      return `${a.stepId}: notify ${a.email ?? a.webhook ?? ''}`;
  }
}

export function formatPath(path: readonly SimulatedStep[], timeZone: string | null): string {
  return path.map((p) => `${describeInstant(p.at, timeZone).padEnd(34)} ${p.what}`).join('\n');
}

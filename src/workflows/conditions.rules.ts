import { STAGES, Stage } from '../lifecycle/lifecycle.rules';
import type { Condition } from '../scoring/scoring-model.schema';
import { conditionHolds, countsAsHuman, eventMatches, readField } from '../scoring/scoring.rules';
import type { ActivityView, BranchTest, LeadChange, StepContext, WorkflowDefinition } from './workflow.types';

/** Conditions on the lead and, for event triggers and event goals, on the event's properties. */
export function conditionsHold(conditions: readonly Condition[], lead: Record<string, unknown>, properties: Record<string, unknown> = {}): boolean {
  return conditions.every((c) => conditionHolds(c, readField(c.field, { properties }, lead)));
}

/**
 * Activity the lead did about an email or otherwise. Opens and clicks count only when a person
 * made them, as in scoring: a link scanner "clicking" every link must not take a branch.
 */
export function matchingActivity(
  ctx: Pick<StepContext, 'activities' | 'lead'>,
  pattern: string,
  opts: { where?: readonly Condition[]; stepIds?: readonly string[]; from?: Date; until?: Date } = {},
): ActivityView | undefined {
  const from = opts.from?.getTime() ?? -Infinity;
  const until = opts.until?.getTime() ?? Infinity;
  return [...ctx.activities]
    .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())
    .find(
      (a) =>
        eventMatches(pattern, a.type) &&
        countsAsHuman(a) &&
        a.occurredAt.getTime() >= from &&
        a.occurredAt.getTime() <= until &&
        (!opts.stepIds || (a.stepId !== null && opts.stepIds.includes(a.stepId))) &&
        conditionsHold(opts.where ?? [], ctx.lead, a.properties),
    );
}

/** A click means the email was opened even when its images (the open pixel) were blocked. */
export function branchTestHolds(test: BranchTest, ctx: Pick<StepContext, 'activities' | 'lead'>): boolean {
  if (test.kind === 'field') return conditionsHold([test.condition], ctx.lead);
  const types = test.kind === 'clicked' ? ['email.clicked'] : ['email.opened', 'email.clicked'];
  return types.some((t) => matchingActivity(ctx, t, { stepIds: test.steps }) !== undefined);
}

const atOrAfter = (stage: unknown, goal: Stage) => STAGES.indexOf(stage as Stage) >= STAGES.indexOf(goal);

/** The id of the first goal the lead has met, or null. A stage goal is met by that stage or a later one. */
export function goalMet(def: WorkflowDefinition, ctx: Pick<StepContext, 'activities' | 'lead'>): string | null {
  for (const g of def.goals) {
    const met =
      g.kind === 'stage'
        ? atOrAfter(ctx.lead.stage, g.stage)
        : g.kind === 'temperature'
          ? ctx.lead.temperature === g.temperature
          : g.kind === 'event'
            ? matchingActivity(ctx, g.event, { where: g.where }) !== undefined
            : conditionsHold(g.where, ctx.lead);
    if (met) return g.id;
  }
  return null;
}

/**
 * Why the lead must leave (or may not enter) this workflow whatever its steps say, or null.
 * Workflows are marketing: an erased, unsubscribed, suppressed or opted-out lead gets none.
 */
export function leaveReason(def: WorkflowDefinition, lead: Record<string, unknown>): string | null {
  if (lead.erasedAt) return 'erased';
  if (lead.unsubscribedAt) return 'unsubscribed';
  if (typeof lead.suppression === 'string' && lead.suppression) return lead.suppression;
  if (lead.consent === false) return 'no-consent';
  if (def.exitWhen.salesOwned && lead.ownerId) return 'sales-owned';
  return null;
}

/**
 * Whether this change should enroll the lead: the trigger fires, the entry conditions hold and
 * nothing bars the lead (leaveReason). Re-entry is the caller's to check (reentryAllowed),
 * since it needs the lead's past enrollments. Segment triggers react to every change, so
 * a lead enters as soon as it matches; reentry keeps it from entering again and again.
 */
export function triggerMatches(def: WorkflowDefinition, change: LeadChange, lead: Record<string, unknown>): boolean {
  const t = def.trigger;
  let fires: boolean;
  switch (t.kind) {
    case 'manual':
      return false;
    case 'lead-created':
      fires = change.kind === 'lead-created';
      break;
    case 'event':
      fires =
        change.kind === 'event' &&
        eventMatches(t.event, change.type) &&
        (change.classification === undefined || countsAsHuman({ type: change.type, classification: change.classification })) &&
        conditionsHold(t.where, lead, change.properties);
      break;
    case 'temperature':
      fires = change.kind === 'temperature' && change.to === t.temperature;
      break;
    case 'stage':
      fires = change.kind === 'stage' && change.to === t.stage;
      break;
    case 'segment':
      fires = conditionsHold(t.where, lead);
      break;
  }
  return fires && conditionsHold(def.entry.where, lead) && leaveReason(def, lead) === null;
}

/** May the lead enroll again, given when its last enrollment in this workflow ended (null: still running)? */
export function reentryAllowed(def: WorkflowDefinition, last: { endedAt: Date | null } | null, now: Date): boolean {
  if (!last) return true;
  if (last.endedAt === null || def.reentry.mode === 'never') return false;
  return def.reentry.mode === 'always' || now.getTime() - last.endedAt.getTime() >= (def.reentry.afterMs ?? 0);
}

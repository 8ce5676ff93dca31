import type { Condition } from '../scoring/scoring-model.schema';
import type { Stage, Temperature } from '../lifecycle/lifecycle.rules';

/**
 * The normalised workflow the engine runs, built from a YAML file by parseWorkflow. Every
 * reference is resolved: a step's next is an index into `steps`, 'exit' (leave now) or
 * 'complete' (finish: `end`, or past the last step). Enrollments store the step index and the version they started
 * on, so a changed file never moves a running lead to a different step.
 */
export type Target = number | 'exit' | 'complete';

export type Track = Temperature;

export type Trigger =
  | { kind: 'lead-created' }
  | { kind: 'event'; event: string; where: Condition[] }
  | { kind: 'temperature'; temperature: Temperature }
  | { kind: 'stage'; stage: Stage }
  | { kind: 'manual' }
  | { kind: 'segment'; where: Condition[] };

export type Goal =
  | { id: string; kind: 'stage'; stage: Stage }
  | { id: string; kind: 'temperature'; temperature: Temperature }
  | { id: string; kind: 'event'; event: string; where: Condition[] }
  | { id: string; kind: 'where'; where: Condition[] };

/** A branch test: a lead condition (lead.x, score, grade, ...) or activity on an earlier email. */
export type BranchTest = { kind: 'field'; condition: Condition } | { kind: 'clicked' | 'opened'; steps: string[] };

interface StepBase {
  id: string;
  index: number;
  /** line of the step in its file, for messages about a running enrollment */
  line: number;
}

export interface SendStep extends StepBase {
  kind: 'send';
  template: string;
  /** null: the lead's own persona picks the variant */
  persona: string | null;
  next: Target;
}

export interface WaitStep extends StepBase {
  kind: 'wait';
  ms: number;
  /** as written, e.g. 3d */
  duration: string;
  next: Target;
}

export interface WaitUntilStep extends StepBase {
  kind: 'wait-until';
  /** 0 = Sunday; all seven when the file names none */
  weekdays: number[];
  /** HH:MM, 24 h, in the lead's time zone */
  time: string;
  next: Target;
}

export interface WaitEventStep extends StepBase {
  kind: 'wait-event';
  /** exact type or `ns.*` */
  event: string;
  where: Condition[];
  /** only activity about the email of this send step counts */
  stepRef: string | null;
  timeoutMs: number;
  timeout: string;
  next: Target;
  onTimeout: Target;
}

export interface BranchStep extends StepBase {
  kind: 'branch';
  /** tried in order; within a case every test must hold */
  cases: { when: BranchTest[]; target: Target }[];
  otherwise: Target;
}

export interface ScoreStep extends StepBase {
  kind: 'score';
  points: number;
  reason: string;
  next: Target;
}

export interface UpdateStep extends StepBase {
  kind: 'update';
  field?: string;
  value?: unknown;
  tag?: string;
  next: Target;
}

export interface NotifyStep extends StepBase {
  kind: 'notify';
  email?: string;
  webhook?: string;
  subject?: string;
  next: Target;
}

export interface GotoStep extends StepBase {
  kind: 'goto';
  target: Target;
}

export interface ExitStep extends StepBase {
  kind: 'exit';
  /** `exit: completed` ends as completed; any other reason as exited */
  status: 'completed' | 'exited';
  reason: string;
}

export type Step = SendStep | WaitStep | WaitUntilStep | WaitEventStep | BranchStep | ScoreStep | UpdateStep | NotifyStep | GotoStep | ExitStep;
export type StepKind = Step['kind'];

export interface WorkflowDefinition {
  key: string;
  name: string;
  /** sha256 of the source, 16 hex */
  version: string;
  file: string;
  /** a content track is bound to a temperature; a lead is in at most one track at a time */
  track: Track | null;
  /** for the global frequency cap: the higher wins */
  priority: number;
  trigger: Trigger;
  entry: { where: Condition[] };
  reentry: { mode: 'never' | 'always' | 'after'; afterMs?: number };
  goals: Goal[];
  exitWhen: { salesOwned: boolean };
  steps: Step[];
  /** lines of the keys that must be unique across files, for workflowSetProblems */
  lines: { key: number; track: number | null };
}

/** Day names a wait may use, indexed like Date.getDay(). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const WAIT_KINDS: ReadonlySet<StepKind> = new Set(['wait', 'wait-until', 'wait-event']);

/**
 * The lead as the step machine reads it: the profile fields (for `lead.<field>` conditions)
 * plus its computed state. Conditions read `score`, `grade`, ... from here too.
 */
export type LeadView = Record<string, unknown> & {
  timezone?: string | null;
  score: number;
  grade: string | null;
  persona: string | null;
  temperature: string;
  stage: string;
  /** the sales rep who owns the lead, when one does */
  ownerId?: string | null;
  unsubscribedAt?: Date | string | null;
  erasedAt?: Date | string | null;
  /** false: consent refused or withdrawn */
  consent?: boolean | null;
  /** why the address is on the suppression list (bounced, complained, ...), when it is */
  suppression?: string | null;
};

export interface ActivityView {
  type: string;
  occurredAt: Date;
  properties: Record<string, unknown>;
  /** the send step whose email the activity is about, when known */
  stepId: string | null;
  /** human, machine, ... for opens and clicks */
  classification: string | null;
}

export interface StepContext {
  lead: LeadView;
  /** activities since enrollment, for wait-event, clicked/opened and event goals */
  activities: readonly ActivityView[];
  /** templates this lead already received from any workflow (tracks skip them) */
  sentTemplates: ReadonlySet<string>;
  now: Date;
}

/** What happened to a lead, as triggers see it. */
export type LeadChange =
  | { kind: 'lead-created' }
  /** classification: when given, an open or click triggers only if a person did it */
  | { kind: 'event'; type: string; properties: Record<string, unknown>; classification?: string | null }
  | { kind: 'temperature'; to: string }
  | { kind: 'stage'; to: string }
  /** any other profile or state change; only segment triggers react to it */
  | { kind: 'lead-changed' };

import { Inject, Injectable } from '@nestjs/common';
import { uuidv7 } from '../common/ids';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SendsService, StageRequest } from '../delivery/sends.service';
import { AssignmentRow, AssignmentsRepository, HandoffLeadRow } from './assignments.repository';
import { RepRow } from './reps.repository';
import { actionKey, signActionToken, verifyActionToken } from './rep-action-token.rules';

export const NEW_LEAD_TEMPLATE = 'rep-new-lead';
export const REASSIGNED_TEMPLATE = 'rep-lead-reassigned';
const LINK_TTL_MS = 30 * 86_400_000;

/** "Visited /pricing", "Downloaded playbook.pdf": what a rep reads in the activity list. */
export function activityLabel(type: string, p: Record<string, unknown>): string {
  const detail = [p.url, p.asset, p.webinar, p.form, p.subject, p.template, p.channel].find((v) => typeof v === 'string' && v) as string | undefined;
  return detail ? `${type}: ${detail}` : type;
}

/**
 * The rep's emails about their leads, staged in the caller's transaction through the delivery
 * path (internal: untracked, exempt from marketing caps), with signed single-use action links.
 */
@Injectable()
export class RepNotifier {
  private readonly keys: Buffer[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly assignments: AssignmentsRepository,
    private readonly sends: SendsService,
  ) {
    this.keys = [config.secretKey, ...config.previousSecretKeys].map(actionKey);
  }

  /** Verifies an action link; the token row id or undefined. */
  verify(token: string): string | undefined {
    return verifyActionToken(token, this.keys);
  }

  /** Stages "you have a new lead" for each assignment; returns the send ids to deliver after commit. */
  async newLeads(items: readonly { assignment: AssignmentRow; lead: HandoffLeadRow; rep: RepRow }[], now: Date): Promise<string[]> {
    if (!items.length) return [];
    const leadIds = items.map((i) => i.lead.id);
    const [reasons, activities] = await Promise.all([this.assignments.topReasons(leadIds, 5), this.assignments.recentActivities(leadIds, 10)]);
    const tokens = items.map((i) => ({ id: uuidv7(), assignmentId: i.assignment.id, expiresAt: new Date(now.getTime() + LINK_TTL_MS) }));
    await this.assignments.insertTokens(tokens);
    const reasonsOf = groupByLead(reasons);
    const activitiesOf = groupByLead(activities);
    // one INSERT for the whole batch: a sweeper pass stages up to a few hundred of these
    const staged = await this.sends.stageMany(
      items.map(({ assignment: a, lead, rep }, k): StageRequest => {
        const url = `${this.config.publicUrl}/r/${signActionToken(tokens[k].id, this.keys[0])}`;
        return {
          leadId: lead.id,
          template: NEW_LEAD_TEMPLATE,
          category: 'internal',
          recipient: { email: rep.email, name: rep.name },
          idempotencyKey: `assignment:${a.id}:new-lead`,
          data: {
            persona: lead.persona,
            grade: lead.grade,
            score: Number(lead.score),
            reasons: (reasonsOf.get(lead.id) ?? []).map((r) => ({ reason: r.reason, points: Number(r.points) })),
            activities: (activitiesOf.get(lead.id) ?? []).map((x) => ({ at: x.occurred_at.toISOString(), label: activityLabel(x.type, x.properties) })),
            rep: { firstName: rep.name.split(' ')[0], name: rep.name, timezone: rep.time_zone },
            assignment: {
              id: a.id,
              acceptUrl: `${url}?do=accept`,
              returnUrl: `${url}?do=return`,
              // the web app's lead page (signed in as the rep); the action page shows the essentials without a login
            leadUrl: `${this.config.publicUrl}/app/leads/${lead.id}`,
            actionUrl: url,
              slaHours: a.sla_due_at ? Math.round(((a.sla_due_at.getTime() - Math.max(now.getTime(), a.notify_at?.getTime() ?? 0)) / 3_600_000) * 10) / 10 : null,
              dueAt: a.sla_due_at?.toISOString() ?? null,
            },
          },
        };
      }),
    );
    await this.assignments.markNotified(items.map((i) => i.assignment.id), now);
    return staged.filter((s) => s.created).map((s) => s.row.id);
  }

  /** Tells a rep that a lead they did not accept in time went to someone else (or the queue). */
  async reassigned(assignment: AssignmentRow, lead: HandoffLeadRow, rep: RepRow, next: RepRow | undefined): Promise<string[]> {
    const { row, created } = await this.sends.stage({
      leadId: lead.id,
      template: REASSIGNED_TEMPLATE,
      category: 'internal',
      recipient: { email: rep.email, name: rep.name },
      idempotencyKey: `assignment:${assignment.id}:reassigned`,
      data: { rep: { firstName: rep.name.split(' ')[0], timezone: rep.time_zone }, nextRep: next ? { name: next.name } : null, assignment: { createdAt: assignment.created_at.toISOString() } },
    });
    return created ? [row.id] : [];
  }
}

/** Rows by lead id, in their query order. */
function groupByLead<T extends { lead_id: string }>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.lead_id);
    if (list) list.push(r);
    else out.set(r.lead_id, [r]);
  }
  return out;
}

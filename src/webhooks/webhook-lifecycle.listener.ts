import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { toLeadView } from '../leads/lead.view';
import { LeadsRepository } from '../leads/leads.repository';
import { LeadChanged, LifecycleEvents } from '../lifecycle/lifecycle-events.service';
import { leadChangeEvents } from './webhook-events.rules';
import { WebhooksService } from './webhooks.service';

/**
 * lead.created, lead.stage_changed, lead.temperature_changed and lead.sales_ready from the
 * lead evaluations. These listeners run after the evaluation has committed, so a process that
 * dies between that commit and this write loses the events (at most once); everything else
 * about the lead is in Postgres and the next change is delivered as usual.
 */
@Injectable()
export class WebhookLifecycleListener implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly events: LifecycleEvents,
    private readonly webhooks: WebhooksService,
    private readonly leads: LeadsRepository,
  ) {}

  onModuleInit(): void {
    this.events.subscribe((change) => this.onLeadChanged(change));
  }

  async onLeadChanged(change: LeadChanged): Promise<void> {
    const planned = leadChangeEvents(change);
    if (!planned.length) return;
    const wanted = [];
    for (const p of planned) if (await this.webhooks.wants(p.type)) wanted.push(p);
    if (!wanted.length) return;
    // the lead as it is now, so a CRM can sync from the event alone; an erased lead sends nothing
    const lead = await this.leads.findById(change.leadId);
    if (!lead) {
      this.logger.debug({ leadId: change.leadId }, 'lead gone before its webhooks were written');
      return;
    }
    const view = toLeadView(lead);
    await this.webhooks.emitMany(wanted.map((p) => ({ type: p.type, data: { ...p.data, lead: view } })));
  }
}

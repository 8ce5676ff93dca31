import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { LeadError } from '../leads/lead.error';
import { LeadsRepository } from '../leads/leads.repository';
import { SAMPLE_LEAD, sampleExtra, sampleLinks } from './sample-context';
import { TemplateRegistryService } from './template-registry.service';
import { PreviewQuery } from './template.schemas';

@Injectable()
export class TemplatePreviewService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly leads: LeadsRepository,
    private readonly templates: TemplateRegistryService,
  ) {}

  /** Renders for a real lead, or the sample one; rep and assignment data are always the samples. */
  async preview(name: string, query: PreviewQuery): Promise<{ subject: string; preheader: string; html: string; text: string }> {
    const lead = query.leadId ? await this.leads.findById(query.leadId) : SAMPLE_LEAD;
    if (!lead) throw new LeadError('lead_not_found', `No lead with id ${query.leadId}`);
    const { subject, preheader, html, text } = this.templates.render(name, {
      lead,
      persona: query.persona,
      extra: sampleExtra(this.config.publicUrl),
      links: sampleLinks(this.config.publicUrl),
    });
    return { subject, preheader, html, text };
  }
}

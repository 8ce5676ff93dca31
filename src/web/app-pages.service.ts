import { Injectable } from '@nestjs/common';
import { WebUser } from './accounts.service';
import { DashboardService } from './dashboard.service';
import { WebLeadsService } from './web-leads.service';
import { PageResult } from './web-render';

/** Which view each signed-in page shows, with its data. */
@Injectable()
export class AppPagesService {
  constructor(
    private readonly dashboards: DashboardService,
    private readonly leadPages: WebLeadsService,
  ) {}

  async dashboard(user: WebUser): Promise<PageResult> {
    // a rep's start page is the queue; the dashboard counts every lead, not only the rep's
    if (user.role === 'rep') return { redirect: '/app/my-leads' };
    return { view: 'dashboard', title: 'Dashboard', nav: 'dashboard', data: await this.dashboards.view() };
  }

  async leads(user: WebUser, query: unknown): Promise<PageResult> {
    return { view: 'leads', title: user.role === 'rep' ? 'All my leads' : 'Leads', nav: 'leads', data: await this.leadPages.list(user, query) };
  }

  async lead(user: WebUser, id: string): Promise<PageResult> {
    const data = await this.leadPages.lead(user, id);
    return { view: 'lead', title: data.lead.name || data.lead.email, nav: 'leads', data };
  }

  async myLeads(user: WebUser, done: string | undefined): Promise<PageResult> {
    return { view: 'my-leads', title: 'My leads', nav: 'my-leads', data: await this.leadPages.queue(user, done) };
  }

  async act(user: WebUser, assignmentId: string, form: unknown): Promise<PageResult> {
    return { redirect: await this.leadPages.act(user, assignmentId, form) };
  }
}

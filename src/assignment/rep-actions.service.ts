import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AssignmentError } from './assignment.error';
import { RETURN_REASONS } from './assignment.rules';
import { AssignmentService, RepAction } from './assignment.service';
import { renderRepActionPage } from './rep-action.page';

const formSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('accept') }),
  z.object({ action: z.literal('return'), reason: z.enum(RETURN_REASONS), note: z.string().max(2000).optional() }),
]);

const NOT_FOUND = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not valid</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto"><h1>This link is not valid</h1><p>It may have expired. Ask your sales manager for the lead.</p></body></html>`;

/** Rep actions from email links: signed (the token), single use (its row), and a page either way. */
@Injectable()
export class RepActionsService {
  constructor(private readonly service: AssignmentService) {}

  async page(token: string, focus?: string): Promise<{ status: number; html: string }> {
    const link = await this.link(token);
    if (!link) return { status: 404, html: NOT_FOUND };
    const closed = link.used || !['pending', 'accepted'].includes(link.assignment.status);
    return { status: 200, html: renderRepActionPage({ lead: link.lead, assignment: link.assignment, closed, focus }) };
  }

  async act(token: string, body: unknown): Promise<{ status: number; html: string }> {
    const link = await this.link(token);
    if (!link) return { status: 404, html: NOT_FOUND };
    const form = formSchema.safeParse(body);
    if (!form.success) return { status: 400, html: renderRepActionPage({ lead: link.lead, assignment: link.assignment, closed: false, message: 'Choose accept, or return with a reason.' }) };
    const action: RepAction = form.data.action === 'accept' ? { kind: 'accept' } : { kind: 'return', reason: form.data.reason, note: form.data.note || undefined };
    try {
      const assignment = await this.service.act(link.assignment.id, action, link.tokenId);
      const message = action.kind === 'accept' ? 'Accepted: the lead is yours.' : 'Returned: marketing will nurture the lead again.';
      return { status: 200, html: renderRepActionPage({ lead: link.lead, assignment, closed: true, message }) };
    } catch (e) {
      if (!(e instanceof AssignmentError)) throw e;
      return { status: 409, html: renderRepActionPage({ lead: link.lead, assignment: link.assignment, closed: true, message: e.message }) };
    }
  }

  private async link(token: string) {
    try {
      return await this.service.fromLink(token);
    } catch (e) {
      if (e instanceof AssignmentError) return undefined;
      throw e;
    }
  }
}

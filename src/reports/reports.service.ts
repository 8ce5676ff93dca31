import { Injectable } from '@nestjs/common';
import { HandoffReportRepository, HandoffRow } from './handoff-report.repository';
import { HandoffQuery } from './reports.schemas';

const DAY = 86_400_000;
const rate = (n: number, d: number) => (d ? Math.round((n / d) * 1000) / 1000 : null);

@Injectable()
export class ReportsService {
  constructor(private readonly handoffs: HandoffReportRepository) {}

  /**
   * MQL accuracy: of the leads marketing handed to sales, how many did sales accept? Counted per
   * hand-off, so an SLA reassignment does not count a lead twice.
   */
  async handoff(q: HandoffQuery) {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY);
    const rows = await this.handoffs.rows(from, to, q.period, q.by);
    const total = rows.reduce(
      (t, r) => ({ handoffs: t.handoffs + r.handoffs, accepted: t.accepted + r.accepted, assigned: t.assigned + r.assigned }),
      { handoffs: 0, accepted: 0, assigned: 0 },
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      period: q.period,
      by: q.by,
      acceptanceRate: rate(total.accepted, total.assigned),
      rows: rows.map((r) => view(r)),
    };
  }
}

function view(r: HandoffRow) {
  return {
    period: r.period.toISOString(),
    key: r.key,
    salesReady: r.sales_ready,
    handoffs: r.handoffs,
    assigned: r.assigned,
    accepted: r.accepted,
    returned: r.returned,
    returnedByReason: { 'not-ready': r.returned_not_ready, 'bad-fit': r.returned_bad_fit, 'no-contact': r.returned_no_contact, duplicate: r.returned_duplicate, other: r.returned_other },
    converted: r.converted,
    disqualified: r.disqualified,
    open: { queued: r.queued, pending: r.pending },
    reassigned: r.reassigned,
    medianTimeToAcceptSeconds: r.median_accept_s === null ? null : Math.round(Number(r.median_accept_s)),
    acceptanceRate: rate(r.accepted, r.assigned),
  };
}

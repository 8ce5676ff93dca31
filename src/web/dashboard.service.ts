import { Injectable } from '@nestjs/common';
import { ReportsService } from '../reports/reports.service';
import { dayKeys, lineChart, shortDay, stackedBarChart, toSeries } from './chart.rules';
import { DashboardRepository } from './dashboard.repository';

const DAYS = 30;
export const STAGES = [
  { key: 'awareness', label: 'Awareness' },
  { key: 'interest', label: 'Interest' },
  { key: 'mql', label: 'MQL' },
  { key: 'sales-ready', label: 'Sales-ready' },
] as const;
export const TEMPERATURES = [
  { key: 'cold', label: 'Cold' },
  { key: 'warm', label: 'Warm' },
  { key: 'hot', label: 'Hot' },
] as const;
const EMAIL_SERIES = [
  { key: 'sent', name: 'Sent', cls: 's-sent' },
  { key: 'delivered', name: 'Delivered', cls: 's-delivered' },
  { key: 'openedHuman', name: 'Opened by people', cls: 's-human' },
  { key: 'openedMachine', name: 'Opened by machines only', cls: 's-machine' },
  { key: 'clicked', name: 'Clicked', cls: 's-clicked' },
  { key: 'unsubscribed', name: 'Unsubscribed', cls: 's-unsub' },
  { key: 'bounced', name: 'Bounced', cls: 's-bounced' },
];

/** The marketer's overview: funnel, temperatures, 30 days of email and of temperature moves, hand-off acceptance. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly repo: DashboardRepository,
    private readonly reports: ReportsService,
  ) {}

  async view(now = new Date()) {
    const days = dayKeys(now, DAYS);
    const since = new Date(`${days[0]}T00:00:00Z`);
    const [dist, emailRows, tempRows, moves, handoff] = await Promise.all([
      this.repo.distribution(),
      this.repo.emailDays(since),
      this.repo.temperatureDays(since),
      this.repo.temperatureMoves(since),
      this.reports.handoff({ period: 'month', by: 'none', from: since.toISOString(), to: now.toISOString() }),
    ]);
    const count = (dimension: string, value: string) => dist.find((d) => d.dimension === dimension && d.value === value)?.n ?? 0;
    const total = STAGES.reduce((sum, s) => sum + count('stage', s.key), 0);
    const labels = days.map(shortDay);
    const email = toSeries(days, emailRows, EMAIL_SERIES.map((s) => s.key));
    const temps = toSeries(days, tempRows, TEMPERATURES.map((t) => t.key));
    const handoffTotals = handoff.rows.reduce((t, r) => ({ assigned: t.assigned + r.assigned, accepted: t.accepted + r.accepted, returned: t.returned + r.returned }), {
      assigned: 0,
      accepted: 0,
      returned: 0,
    });
    return {
      total,
      funnel: STAGES.map((s) => ({ ...s, n: count('stage', s.key), share: total ? count('stage', s.key) / total : 0, href: `/app/leads?stage=${s.key}` })),
      temperatures: TEMPERATURES.map((t) => ({ ...t, n: count('temperature', t.key), share: total ? count('temperature', t.key) / total : 0, href: `/app/leads?temperature=${t.key}` })),
      emailChart: lineChart(labels, EMAIL_SERIES.map((s) => ({ name: s.name, cls: s.cls, values: email[s.key] })), { labelEvery: 7 }),
      temperatureChart: stackedBarChart(labels, TEMPERATURES.map((t) => ({ name: `Became ${t.key}`, cls: `t-${t.key}`, values: temps[t.key] })), { labelEvery: 7 }),
      moves: moves.map((m) => ({ ...m, from: m.from ?? 'new', warmer: rank(m.to) > rank(m.from) })),
      handoff: { rate: handoff.acceptanceRate, ...handoffTotals },
      days: DAYS,
    };
  }
}

const rank = (t: string | null) => ['cold', 'warm', 'hot'].indexOf(t ?? '');

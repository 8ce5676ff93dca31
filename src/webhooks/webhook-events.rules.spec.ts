import { eventBody, leadChangeEvents, subscribesTo } from './webhook-events.rules';

describe('webhook event routing', () => {
  it('matches listed types and "*", never a test event', () => {
    expect(subscribesTo(['lead.created'], 'lead.created')).toBe(true);
    expect(subscribesTo(['lead.created'], 'email.bounced')).toBe(false);
    expect(subscribesTo(['*'], 'assignment.returned')).toBe(true);
    expect(subscribesTo(['*'], 'webhook.test')).toBe(false);
  });

  it('builds the body as {type, timestamp, data}', () => {
    expect(JSON.parse(eventBody('lead.created', new Date('2026-01-02T03:04:05Z'), { leadId: 'l1' }))).toEqual({
      type: 'lead.created',
      timestamp: '2026-01-02T03:04:05.000Z',
      data: { leadId: 'l1' },
    });
  });

  it('turns an evaluation into lead events in order, with from, to and cause', () => {
    const events = leadChangeEvents({
      leadId: 'l1',
      created: true,
      transitions: [
        { kind: 'grade', from: null, to: 'B', cause: 'profile', detail: { score: 0 } },
        { kind: 'stage', from: 'mql', to: 'sales-ready', cause: 'event', detail: { score: 45 } },
        { kind: 'temperature', from: 'warm', to: 'hot', cause: 'event', detail: { score: 45 } },
      ],
    });
    expect(events.map((e) => e.type)).toEqual(['lead.created', 'lead.stage_changed', 'lead.sales_ready', 'lead.temperature_changed']);
    expect(events[1].data).toEqual({ leadId: 'l1', from: 'mql', to: 'sales-ready', cause: 'event', score: 45 });
    expect(events[3].data).toMatchObject({ from: 'warm', to: 'hot' });
  });

  it('gives nothing for grade-only changes, and no sales_ready for other stages', () => {
    expect(leadChangeEvents({ leadId: 'l1', created: false, transitions: [{ kind: 'persona', from: null, to: 'user', cause: 'profile', detail: {} }] })).toEqual([]);
    const decayed = leadChangeEvents({ leadId: 'l1', created: false, transitions: [{ kind: 'stage', from: 'sales-ready', to: 'mql', cause: 'decay', detail: {} }] });
    expect(decayed.map((e) => e.type)).toEqual(['lead.stage_changed']);
  });
});

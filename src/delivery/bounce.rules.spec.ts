import { parseBounceNotices } from './bounce.rules';

describe('parseBounceNotices', () => {
  it('reads the generic shape, one or many', () => {
    expect(parseBounceNotices({ type: 'bounce', email: 'a@x.test', reason: 'mailbox full', bounceType: 'soft' })).toEqual({
      ok: true,
      notices: [{ email: 'a@x.test', kind: 'bounce', permanent: false, reason: 'mailbox full' }],
    });
    const many = parseBounceNotices([{ type: 'bounce', email: 'a@x.test' }, { type: 'complaint', email: 'b@x.test' }]);
    expect(many.ok && many.notices.map((n) => [n.kind, n.permanent])).toEqual([
      ['bounce', true],
      ['complaint', true],
    ]);
  });

  it('reads SES notifications wrapped in SNS', () => {
    const message = { notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'gone@x.test', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] } };
    expect(parseBounceNotices({ Type: 'Notification', Message: JSON.stringify(message) })).toEqual({
      ok: true,
      notices: [{ email: 'gone@x.test', kind: 'bounce', permanent: true, reason: 'smtp; 550 5.1.1 user unknown' }],
    });
    const complaint = { eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'angry@x.test' }], complaintFeedbackType: 'abuse' } };
    expect(parseBounceNotices(complaint)).toEqual({ ok: true, notices: [{ email: 'angry@x.test', kind: 'complaint', permanent: true, reason: 'abuse' }] });
  });

  it('hands back the SNS subscription URL instead of notices', () => {
    expect(parseBounceNotices({ Type: 'SubscriptionConfirmation', SubscribeURL: 'https://sns.example/confirm' })).toEqual({ ok: true, notices: [], subscribeUrl: 'https://sns.example/confirm' });
  });

  it('rejects what it cannot read, naming the item', () => {
    const r = parseBounceNotices([{ type: 'bounce', email: 'ok@x.test' }, { type: 'bounce', email: 'nope' }]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^item 1: email/);
  });
});

/**
 * Every activity type Kindling knows, in one place: the events API accepts the behaviour
 * types (plus custom.<name>), tracking and delivery record the email types, and the scoring
 * and grading models check their rules against the whole list so a typo is caught.
 */
export const BEHAVIOUR_EVENT_TYPES = [
  'page.visited',
  'form.submitted',
  'content.downloaded',
  'content.uploaded',
  'webinar.registered',
  'webinar.attended',
  'ad.clicked',
  'chat.interacted',
  'newsletter.subscribed',
  'info.requested',
  'cart.added',
] as const;

/** Recorded by Kindling itself; the events API refuses them. */
export const EMAIL_EVENT_TYPES = ['email.sent', 'email.opened', 'email.clicked', 'email.unsubscribed', 'email.bounced', 'email.complained'] as const;

export const KNOWN_EVENT_TYPES = [...EMAIL_EVENT_TYPES, ...BEHAVIOUR_EVENT_TYPES] as const;

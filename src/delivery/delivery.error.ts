import { AppError, ErrorDetail } from '../common/app-error';

export type DeliveryErrorCode = 'send_not_found' | 'lead_not_found' | 'bounce_notice_invalid' | 'bounce_token_invalid' | 'outbox_disabled' | 'outbox_message_not_found' | 'send_recipient_invalid';

const KIND = {
  send_not_found: 'not_found',
  lead_not_found: 'not_found',
  bounce_notice_invalid: 'invalid',
  bounce_token_invalid: 'unauthorized',
  outbox_disabled: 'not_found',
  outbox_message_not_found: 'not_found',
  send_recipient_invalid: 'invalid',
} as const;

export class DeliveryError extends AppError<DeliveryErrorCode> {
  readonly feature = 'delivery';
  constructor(code: DeliveryErrorCode, message: string, details: ErrorDetail[] = []) {
    super(code, KIND[code], message, details);
  }
}

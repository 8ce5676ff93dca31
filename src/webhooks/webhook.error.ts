import { AppError, ErrorDetail } from '../common/app-error';

export type WebhookErrorCode = 'webhook_not_found' | 'webhook_inactive';

const KIND = {
  webhook_not_found: 'not_found',
  webhook_inactive: 'conflict',
} as const;

export class WebhookError extends AppError<WebhookErrorCode> {
  readonly feature = 'webhooks';
  constructor(code: WebhookErrorCode, message: string, details: ErrorDetail[] = []) {
    super(code, KIND[code], message, details);
  }
}

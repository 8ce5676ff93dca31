import { AppError, ErrorDetail } from '../common/app-error';

export type EmailErrorCode = 'template_not_found' | 'templates_invalid' | 'template_render_failed' | 'unsubscribe_link_missing';

const KIND = {
  template_not_found: 'not_found',
  // Broken templates are an operator problem found at boot, not a client mistake
  templates_invalid: 'unavailable',
  template_render_failed: 'invalid',
  unsubscribe_link_missing: 'invalid',
} as const;

export class EmailError extends AppError<EmailErrorCode> {
  readonly feature = 'email';
  constructor(code: EmailErrorCode, message: string, details: ErrorDetail[] = []) {
    super(code, KIND[code], message, details);
  }
}

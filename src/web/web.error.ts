import { AppError, ErrorDetail } from '../common/app-error';

export type WebErrorCode =
  | 'sign_in_required'
  | 'sign_in_failed'
  | 'sign_in_rate_limited'
  | 'csrf_failed'
  | 'forbidden'
  | 'not_found'
  | 'invalid_input'
  | 'setup_link_invalid'
  | 'user_exists'
  | 'rep_not_found';

const KIND = {
  sign_in_required: 'unauthorized',
  sign_in_failed: 'unauthorized',
  sign_in_rate_limited: 'rate_limited',
  csrf_failed: 'forbidden',
  forbidden: 'forbidden',
  not_found: 'not_found',
  invalid_input: 'invalid',
  setup_link_invalid: 'not_found',
  user_exists: 'conflict',
  rep_not_found: 'not_found',
} as const;

export class WebError extends AppError<WebErrorCode> {
  readonly feature = 'web';
  constructor(code: WebErrorCode, message: string, details: ErrorDetail[] = []) {
    super(code, KIND[code], message, details);
  }
}

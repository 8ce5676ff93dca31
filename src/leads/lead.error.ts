import { AppError, ErrorDetail } from '../common/app-error';

export type LeadErrorCode = 'lead_not_found' | 'lead_email_taken' | 'import_unsupported_format' | 'import_too_large' | 'import_malformed';

const KIND = {
  lead_not_found: 'not_found',
  lead_email_taken: 'conflict',
  import_unsupported_format: 'invalid',
  import_too_large: 'too_large',
  import_malformed: 'invalid',
} as const;

export class LeadError extends AppError<LeadErrorCode> {
  readonly feature = 'leads';
  constructor(code: LeadErrorCode, message: string, details: ErrorDetail[] = []) {
    super(code, KIND[code], message, details);
  }
}

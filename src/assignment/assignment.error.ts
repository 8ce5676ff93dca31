import { AppError, ErrorDetail } from '../common/app-error';

export type AssignmentErrorCode =
  | 'assignment_not_found'
  | 'assignment_not_open'
  | 'assignment_exists'
  | 'rep_not_found'
  | 'rep_key_taken'
  | 'lead_not_found'
  | 'no_rep_available'
  | 'model_invalid'
  | 'action_link_invalid'
  | 'action_link_used';

const KIND = {
  assignment_not_found: 'not_found',
  assignment_not_open: 'conflict',
  assignment_exists: 'conflict',
  rep_not_found: 'not_found',
  rep_key_taken: 'conflict',
  lead_not_found: 'not_found',
  no_rep_available: 'conflict',
  model_invalid: 'invalid',
  action_link_invalid: 'not_found',
  action_link_used: 'conflict',
} as const;

export class AssignmentError extends AppError<AssignmentErrorCode> {
  readonly feature = 'assignment';
  constructor(code: AssignmentErrorCode, message: string, details: ErrorDetail[] = []) {
    super(code, KIND[code], message, details);
  }
}

import { AppError, ErrorDetail } from '../common/app-error';

export type WorkflowErrorCode = 'workflow_not_found' | 'workflow_invalid' | 'enroll_invalid' | 'lead_not_found';

const KIND = { workflow_not_found: 'not_found', workflow_invalid: 'invalid', enroll_invalid: 'invalid', lead_not_found: 'not_found' } as const;

export class WorkflowError extends AppError<WorkflowErrorCode> {
  readonly feature = 'workflows';
  constructor(code: WorkflowErrorCode, message: string, details: ErrorDetail[] = []) {
    super(code, KIND[code], message, details);
  }
}

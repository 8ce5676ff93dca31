import { AppError } from '../common/app-error';

export type JobErrorCode = 'job_duplicate_definition' | 'job_without_handler' | 'job_two_handlers' | 'job_unknown' | 'job_invalid_payload' | 'job_queue_closed';

export class JobError extends AppError<JobErrorCode> {
  readonly feature = 'jobs';
  constructor(code: JobErrorCode, message: string) {
    super(code, code === 'job_invalid_payload' ? 'invalid' : 'unavailable', message);
  }
}

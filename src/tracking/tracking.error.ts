import { AppError } from '../common/app-error';

export type TrackingErrorCode = 'tracking_link_invalid';

export class TrackingError extends AppError<TrackingErrorCode> {
  readonly feature = 'tracking';
  constructor(code: TrackingErrorCode, message: string) {
    super(code, 'not_found', message);
  }
}

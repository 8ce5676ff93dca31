import { AppError } from '../common/app-error';

export type AuthErrorCode = 'missing_api_key' | 'invalid_api_key' | 'api_key_not_found';

export class AuthError extends AppError<AuthErrorCode> {
  readonly feature = 'auth';
  constructor(code: AuthErrorCode, message: string) {
    super(code, code === 'api_key_not_found' ? 'not_found' : 'unauthorized', message);
  }
}

import { AppError } from '../common/app-error';
import { ModelProblem, formatProblem } from '../common/yaml-model';

export type ScoringErrorCode = 'model_invalid' | 'model_missing';

export class ScoringError extends AppError<ScoringErrorCode> {
  readonly feature = 'scoring';
  constructor(
    code: ScoringErrorCode,
    message: string,
    readonly problems: ModelProblem[] = [],
  ) {
    super(
      code,
      code === 'model_invalid' ? 'invalid' : 'unavailable',
      problems.length ? `${message}:\n  ${problems.map(formatProblem).join('\n  ')}` : message,
      problems.map((p) => ({ path: `${p.file}:${p.line}${p.path ? `:${p.path}` : ''}`, message: p.message })),
    );
  }
}

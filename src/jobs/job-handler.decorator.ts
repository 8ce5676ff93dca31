import { SetMetadata } from '@nestjs/common';
import { JobDefinition } from './job-definition';

export const JOB_HANDLER = 'kindling:job-handler';

/** Marks a provider method as the handler of a job. The method receives the validated payload. */
export const JobHandler = (def: JobDefinition): MethodDecorator => SetMetadata(JOB_HANDLER, def.name);

import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'kindling:public';

/** Opts a controller or route out of API-key authentication (health, tracking, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

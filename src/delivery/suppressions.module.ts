import { Module } from '@nestjs/common';
import { SuppressionsRepository } from './suppressions.repository';

/** Separate so leads (GDPR erase) can use suppressions without depending on all of delivery. */
@Module({ providers: [SuppressionsRepository], exports: [SuppressionsRepository] })
export class SuppressionsModule {}

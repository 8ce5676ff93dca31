import { Module } from '@nestjs/common';
import { SuppressionsRepository } from './suppressions.repository';

@Module({ providers: [SuppressionsRepository], exports: [SuppressionsRepository] })
export class DeliveryModule {}

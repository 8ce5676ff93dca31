import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';

/** Users and sessions; on its own for the CLI (`user create`), which needs nothing else. */
@Module({ providers: [AccountsRepository, AccountsService], exports: [AccountsService] })
export class WebAccountsModule {
  static forCli(config: AppConfig, databaseUrl: string): DynamicModule {
    return { module: WebAccountsModule, imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(config, databaseUrl)] };
  }
}

import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions, migrate } from './data-source';
import { TransactionService } from './transaction.service';

@Global()
@Module({})
export class DatabaseModule {
  /** `url` is DATABASE_URL or the embedded server's address, resolved before the app is built. */
  static forRoot(config: AppConfig, url: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(url, config.database.poolSize),
          dataSourceFactory: async (options) => {
            const ds = await new DataSource(options!).initialize();
            if (config.database.migrateOnBoot) {
              const applied = await migrate(ds);
              if (applied.length) new Logger('Database').log(`applied migrations: ${applied.join(', ')}`);
            }
            return ds;
          },
        }),
      ],
      providers: [TransactionService],
      exports: [TransactionService],
    };
  }
}

import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ScoringModule } from '../scoring/scoring.module';
import { SimulationRepository } from '../scoring/simulation.repository';
import { SimulationService } from '../scoring/simulation.service';

/** The slice of the app that admin commands need: no HTTP, no job consumers. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot(config, databaseUrl), AuthModule, ScoringModule],
      providers: [SimulationRepository, SimulationService],
    };
  }
}

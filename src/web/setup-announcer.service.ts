import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AccountsService } from './accounts.service';

/** An HTTP process that finds no users prints, once at boot, a link to create the first admin. */
@Injectable()
export class SetupAnnouncer implements OnApplicationBootstrap {
  private readonly logger = new Logger('Web');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accounts: AccountsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.role === 'worker') return;
    const link = await this.accounts.issueSetupLink();
    if (link) this.logger.warn(`no users yet: create the first admin at ${link} (single use, valid 24 hours; or run: npm run cli -- user create)`);
  }
}

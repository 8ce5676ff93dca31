import { Module } from '@nestjs/common';
import { LeadsModule } from '../leads/leads.module';
import { TemplatePreviewService } from './template-preview.service';
import { TemplateRegistryService } from './template-registry.service';
import { TemplatesController } from './templates.controller';

/** Templates (MJML + Handlebars, validated at boot) and per-recipient rendering. */
@Module({
  imports: [LeadsModule],
  controllers: [TemplatesController],
  providers: [TemplateRegistryService, TemplatePreviewService],
  exports: [TemplateRegistryService],
})
export class EmailModule {}

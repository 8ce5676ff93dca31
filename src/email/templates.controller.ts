import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiZod } from '../common/openapi';
import { ZodPipe } from '../common/zod-validation';
import { TemplatePreviewService } from './template-preview.service';
import { TemplateRegistryService } from './template-registry.service';
import { PreviewQuery, previewQuerySchema, renderedEmailSchema, templateListSchema, templateNameParamSchema } from './template.schemas';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('v1/templates')
export class TemplatesController {
  constructor(
    private readonly registry: TemplateRegistryService,
    private readonly previews: TemplatePreviewService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Email and page templates loaded from TEMPLATES_DIR' })
  @ApiZod({ response: templateListSchema })
  list() {
    return { data: this.registry.list() };
  }

  @Get(':name/preview')
  @ApiOperation({ summary: 'Render a template for a lead (leadId) or for sample data, optionally as a persona variant' })
  @ApiZod({ query: previewQuerySchema, response: renderedEmailSchema })
  preview(@Param('name', new ZodPipe(templateNameParamSchema)) name: string, @Query(new ZodPipe(previewQuerySchema)) query: PreviewQuery) {
    return this.previews.preview(name, query);
  }
}

import { Injectable } from '@nestjs/common';
import { ValidationError } from '../common/app-error';
import { uuidv7 } from '../common/ids';
import { TransactionService } from '../database/transaction.service';
import { toRepFields, toWorkingHours } from './assignment-model.schema';
import { AssignmentModelService } from './assignment-model.service';
import { AssignmentError } from './assignment.error';
import { CreateRepInput, PatchRepInput, RepView, toRepView } from './assignment.schemas';
import { RepFields, RepsRepository } from './reps.repository';

/** Reps through the API. Reps from assignment.yaml show here too; the file rewrites them when it changes. */
@Injectable()
export class RepsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly reps: RepsRepository,
    private readonly model: AssignmentModelService,
  ) {}

  /** A territory name the model does not know would silently widen the rep to every country. */
  private checkTerritories(territories: string[] | undefined): void {
    const regions = this.model.model.regions;
    const bad = (territories ?? []).map((t, i) => [t, i] as const).filter(([t]) => !/^[A-Z]{2}$/.test(t) && !regions[t]);
    if (bad.length) throw new ValidationError('Unknown territories', bad.map(([t, i]) => ({ path: `territories.${i}`, message: `"${t}" is neither a country code nor a region of assignment.yaml` })));
  }

  async list(): Promise<{ data: RepView[] }> {
    return { data: (await this.reps.list()).map(toRepView) };
  }

  async get(id: string): Promise<RepView> {
    const r = await this.reps.get(id);
    if (!r) throw new AssignmentError('rep_not_found', `No rep with id ${id}`);
    return toRepView(r);
  }

  async create(input: CreateRepInput): Promise<RepView> {
    this.checkTerritories(input.territories);
    const id = uuidv7();
    const created = await this.tx.run(async () => {
      if ((await this.reps.keys()).has(input.key)) return false;
      return this.reps.upsert(id, toRepFields(input), 'api');
    });
    if (!created) throw new AssignmentError('rep_key_taken', `A rep with key ${input.key} exists`, [{ path: 'key', message: 'taken' }]);
    return this.get(id);
  }

  async update(id: string, input: PatchRepInput): Promise<RepView> {
    this.checkTerritories(input.territories);
    const f: Partial<RepFields> = {
      ...input,
      email: input.email?.toLowerCase(),
      workingHours: input.workingHours === undefined ? undefined : toWorkingHours(input.workingHours),
      awayUntil: input.awayUntil === undefined ? undefined : input.awayUntil === null ? null : new Date(input.awayUntil),
    };
    if (!(await this.reps.update(id, f))) throw new AssignmentError('rep_not_found', `No rep with id ${id}`);
    return this.get(id);
  }

  async remove(id: string): Promise<{ id: string; result: 'deleted' | 'deactivated' }> {
    const result = await this.tx.run(() => this.reps.remove(id));
    if (result === 'missing') throw new AssignmentError('rep_not_found', `No rep with id ${id}`);
    return { id, result };
  }
}

import { ApiError } from '../../../src-shared/errors';
import type { ProjectSummary } from '../../../src-shared/api';
import {
  ENVIRONMENTS,
  fluidTool2DSpaces,
  type EnvironmentId,
  type FluidTool2DSettings,
} from '../../../src-shared/environments';
import { issuesFromZod } from '../validation';
import type { Db } from './database';
import { statement } from './statements';

interface ProjectRow {
  id: number;
  name: string;
  environment: string;
  settings: string;
  design_space: string;
  task_space: string;
  created_at: number;
  updated_at: number;
  best_cost: number | null;
  query_count: number;
  dataset_count: number;
  model_count: number;
  design_count: number;
}

const SUMMARY_SQL = `
  SELECT p.*,
    -- the leaders' cheapest, and any query written past them by plain SQL (storage/queries.ts)
    (SELECT MIN(c) FROM (
      SELECT MIN(l.cost) AS c FROM query_leaders l WHERE l.project_id = p.id
      UNION ALL
      SELECT MIN(q.cost) FROM simulator_queries q WHERE q.project_id = p.id AND q.id > COALESCE((SELECT k.upto FROM query_leader_counts k WHERE k.project_id = p.id), 0)
    )) AS best_cost,
    (SELECT COUNT(*) FROM simulator_queries q WHERE q.project_id = p.id) AS query_count,
    (SELECT COUNT(*) FROM datasets d WHERE d.project_id = p.id) AS dataset_count,
    (SELECT COUNT(*) FROM models m WHERE m.project_id = p.id) AS model_count,
    (SELECT COUNT(*) FROM designs g WHERE g.project_id = p.id) AS design_count
  FROM projects p`;

function toSummary(r: ProjectRow): ProjectSummary {
  return {
    id: r.id,
    name: r.name,
    environment: r.environment as EnvironmentId,
    settings: JSON.parse(r.settings),
    designSpace: JSON.parse(r.design_space),
    taskSpace: JSON.parse(r.task_space),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    bestCost: r.best_cost,
    queryCount: r.query_count,
    datasetCount: r.dataset_count,
    modelCount: r.model_count,
    designCount: r.design_count,
  };
}

export interface NewProject {
  name: string;
  environment: EnvironmentId;
  settings: Partial<FluidTool2DSettings>;
}

/** Merges given settings over the environment's defaults and validates the whole. */
export function resolveSettings(environment: EnvironmentId, given: Partial<FluidTool2DSettings>): FluidTool2DSettings {
  const env = ENVIRONMENTS[environment];
  const parsed = env.settings.safeParse({ ...env.defaults, ...given });
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error, ['settings']);
    throw new ApiError('invalid_argument', `Invalid ${env.title} settings: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return parsed.data;
}

export class ProjectStore {
  constructor(private readonly db: Db) {}

  list(): ProjectSummary[] {
    return (statement(this.db, `${SUMMARY_SQL} ORDER BY p.created_at DESC, p.id DESC`).all() as ProjectRow[]).map(toSummary);
  }

  get(id: number): ProjectSummary {
    const row = statement(this.db, `${SUMMARY_SQL} WHERE p.id = ?`).get(id) as ProjectRow | undefined;
    if (!row) throw new ApiError('not_found', `There is no project with id ${id}.`, [{ path: 'id', message: 'no such project' }]);
    return toSummary(row);
  }

  exists(id: number): boolean {
    return statement(this.db, 'SELECT 1 FROM projects WHERE id = ?').get(id) !== undefined;
  }

  findByName(name: string): ProjectSummary | null {
    const row = statement(this.db, `${SUMMARY_SQL} WHERE p.name = ? COLLATE NOCASE`).get(name) as ProjectRow | undefined;
    return row ? toSummary(row) : null;
  }

  create(input: NewProject): ProjectSummary {
    const settings = resolveSettings(input.environment, input.settings);
    const spaces = fluidTool2DSpaces(settings);
    const now = Date.now();
    const id = this.db.transaction(() => {
      this.assertNameFree(input.name);
      return statement(
        this.db,
        `INSERT INTO projects (name, environment, settings, design_space, task_space, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(input.name, input.environment, JSON.stringify(settings), JSON.stringify(spaces.design), JSON.stringify(spaces.task), now, now).lastInsertRowid as number;
    }).immediate();
    return this.get(Number(id));
  }

  rename(id: number, name: string): ProjectSummary {
    this.db.transaction(() => {
      this.get(id);
      this.assertNameFree(name, id);
      statement(this.db, 'UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(name, Date.now(), id);
    }).immediate();
    return this.get(id);
  }

  /** Removes the project and, through foreign keys, every row that belongs to it. */
  delete(id: number): void {
    const info = statement(this.db, 'DELETE FROM projects WHERE id = ?').run(id);
    if (info.changes === 0) throw new ApiError('not_found', `There is no project with id ${id}.`, [{ path: 'id', message: 'no such project' }]);
  }

  private assertNameFree(name: string, exceptId?: number): void {
    const clash = statement(this.db, 'SELECT id FROM projects WHERE name = ? COLLATE NOCASE').get(name) as { id: number } | undefined;
    if (clash && clash.id !== exceptId) {
      throw new ApiError('conflict', `A project named "${name}" already exists; choose another name.`, [
        { path: 'name', message: 'already in use' },
      ]);
    }
  }
}

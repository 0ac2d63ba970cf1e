import { HiveError } from '../../core/errors.js';
import { compileWorkflow, type CompiledWorkflow } from '../../core/workflow-plan.js';
import type { Workflow, WorkflowSpec } from '../../core/workflow.js';
import type { Db } from './db.js';

interface WorkflowRow {
  name: string;
  version: number;
  definition: string;
  created_at: number;
}

function toWorkflow(r: WorkflowRow): Workflow {
  return { ...(JSON.parse(r.definition) as WorkflowSpec), version: r.version, createdAt: r.created_at };
}

/**
 * Workflow definitions on SQLite: immutable versions under a name. Compiled forms are cached per
 * (name, version), so advancing a run never re-parses its definition.
 */
export class WorkflowDefs {
  private readonly compiled = new Map<string, CompiledWorkflow>();

  constructor(private readonly db: Db) {}

  /**
   * Stores a definition. Without `version`: the same definition as the latest version returns that version
   * (created false); anything else becomes latest + 1. With `version`: that exact version, which must not
   * exist with another definition and must be above the latest (CONFLICT).
   */
  define(spec: WorkflowSpec, version: number | null, now: number): { workflow: Workflow; created: boolean } {
    const text = JSON.stringify(spec);
    const latest = this.db.q('SELECT name, version, definition, created_at FROM workflows WHERE name = ? ORDER BY version DESC LIMIT 1').get(spec.name) as WorkflowRow | undefined;
    let v: number;
    if (version === null) {
      if (latest && latest.definition === text) return { workflow: toWorkflow(latest), created: false };
      v = (latest?.version ?? 0) + 1;
    } else {
      const same = this.db.q('SELECT name, version, definition, created_at FROM workflows WHERE name = ? AND version = ?').get(spec.name, version) as WorkflowRow | undefined;
      if (same) {
        if (same.definition === text) return { workflow: toWorkflow(same), created: false };
        throw new HiveError('CONFLICT', `workflow ${spec.name} version ${version} exists with a different definition; versions are immutable: omit version to create version ${latest!.version + 1}`, { details: { workflow: spec.name, version } });
      }
      if (latest && version < latest.version) {
        throw new HiveError('CONFLICT', `workflow ${spec.name} is at version ${latest.version}; a new version must be higher (or omit version)`, { details: { workflow: spec.name, version, latest: latest.version } });
      }
      v = version;
    }
    this.db.q('INSERT INTO workflows (name, version, definition, created_at) VALUES (?, ?, ?, ?)').run(spec.name, v, text, now);
    this.db.event(now, 'workflow.defined', `workflow:${spec.name}`, { version: v, steps: Object.keys(spec.steps).length });
    return { workflow: { ...spec, version: v, createdAt: now }, created: true };
  }

  /** The given version, or the latest; WORKFLOW_NOT_FOUND. */
  get(name: string, version?: number): Workflow {
    const r = (
      version === undefined
        ? this.db.q('SELECT name, version, definition, created_at FROM workflows WHERE name = ? ORDER BY version DESC LIMIT 1').get(name)
        : this.db.q('SELECT name, version, definition, created_at FROM workflows WHERE name = ? AND version = ?').get(name, version)
    ) as WorkflowRow | undefined;
    if (!r) {
      const known = (this.db.q('SELECT DISTINCT name FROM workflows ORDER BY name LIMIT 20').all() as { name: string }[]).map((x) => x.name);
      throw new HiveError('WORKFLOW_NOT_FOUND', `no workflow ${JSON.stringify(name)}${version === undefined ? '' : ` version ${version}`} (defined: ${known.join(', ') || 'none'})`, { details: { workflow: name, version: version ?? null } });
    }
    return toWorkflow(r);
  }

  /** The latest version of every workflow, by name, with how many versions it has. */
  list(): (Workflow & { versions: number })[] {
    const rows = this.db
      .q(`SELECT w.name, w.version, w.definition, w.created_at, c.n FROM workflows w
            JOIN (SELECT name, MAX(version) AS v, COUNT(*) AS n FROM workflows GROUP BY name) c ON c.name = w.name AND c.v = w.version ORDER BY w.name`)
      .all() as (WorkflowRow & { n: number })[];
    return rows.map((r) => ({ ...toWorkflow(r), versions: r.n }));
  }

  compiledOf(name: string, version: number): CompiledWorkflow {
    const key = `${name}@${version}`;
    let c = this.compiled.get(key);
    if (!c) {
      c = compileWorkflow(this.get(name, version));
      if (this.compiled.size >= 100) this.compiled.delete(this.compiled.keys().next().value!);
      this.compiled.set(key, c);
    }
    return c;
  }
}

/**
 * Capability routing (pure). A task runs only on an agent that holds all of its required capabilities;
 * among those, the least-loaded one wins: most free slots, then fewest recent failures, then name.
 */

/** Canonical key of a capability set: sorted, de-duplicated, comma-joined ('' = no requirement). */
export function capsKey(caps: readonly string[]): string {
  return normalizeCaps(caps).join(',');
}

export function normalizeCaps(caps: readonly string[]): string[] {
  return [...new Set(caps.map((c) => c.trim()).filter(Boolean))].sort();
}

export function capsFromKey(key: string): string[] {
  return key === '' ? [] : key.split(',');
}

export function holdsAll(agentCaps: ReadonlySet<string>, required: readonly string[]): boolean {
  for (const c of required) if (!agentCaps.has(c)) return false;
  return true;
}

export function unroutableReason(required: readonly string[]): string {
  return `no agent with capabilities [${required.join(', ')}]`;
}

/** An agent's offer of free slots to one dispatch round. */
export interface SlotOffer {
  agentId: number;
  name: string;
  capabilities: ReadonlySet<string>;
  free: number;
  recentFailures: number;
}

/** A ready task as routing sees it; candidates come ordered by priority rank, then id (FIFO). */
export interface Candidate {
  id: number;
  capabilities: readonly string[];
  locks: readonly string[];
}

export interface Assignment {
  taskId: number;
  agentId: number;
}

function better(a: SlotOffer, b: SlotOffer): boolean {
  if (a.free !== b.free) return a.free > b.free;
  if (a.recentFailures !== b.recentFailures) return a.recentFailures < b.recentFailures;
  return a.name < b.name;
}

/**
 * Assigns ordered candidates to offers. Mutates nothing it is given: free counts are copied.
 * `heldLocks` are locks held by running tasks; a candidate whose locks are held, or taken by an earlier
 * candidate in this round, is skipped (it stays queued).
 */
export function route(candidates: readonly Candidate[], offers: readonly SlotOffer[], heldLocks: ReadonlySet<string>): Assignment[] {
  const pool = offers.filter((o) => o.free > 0).map((o) => ({ ...o }));
  const taken = new Set(heldLocks);
  const out: Assignment[] = [];
  let remaining = pool.reduce((n, o) => n + o.free, 0);
  for (const c of candidates) {
    if (remaining === 0) break;
    if (c.locks.some((l) => taken.has(l))) continue;
    let best: (typeof pool)[number] | undefined;
    for (const o of pool) {
      if (o.free > 0 && holdsAll(o.capabilities, c.capabilities) && (!best || better(o, best))) best = o;
    }
    if (!best) continue;
    best.free--;
    remaining--;
    for (const l of c.locks) taken.add(l);
    out.push({ taskId: c.id, agentId: best.agentId });
  }
  return out;
}

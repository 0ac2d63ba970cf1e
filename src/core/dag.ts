/**
 * Directed-graph checks (pure): used for tasks submitted together with dependencies among them, and for
 * workflow definitions.
 */

/** Returns one cycle as a list of node names (first repeated at the end), or null when the graph is acyclic. */
export function findCycle(nodes: Iterable<string>, edges: (node: string) => Iterable<string>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 1);
    stack.push(n);
    for (const m of edges(n)) {
      const s = state.get(m);
      if (s === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (s === undefined) {
        const found = visit(m);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(n, 2);
    return null;
  };
  for (const n of nodes) {
    if (!state.has(n)) {
      const found = visit(n);
      if (found) return found;
    }
  }
  return null;
}

/** Topological order (dependencies first). Assumes no cycle (check with findCycle). */
export function topoOrder(nodes: readonly string[], deps: (node: string) => Iterable<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of deps(n)) visit(d);
    out.push(n);
  };
  for (const n of nodes) visit(n);
  return out;
}

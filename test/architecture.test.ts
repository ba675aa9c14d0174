import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../src/schema');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

/** Folder → folders it imports from (type imports and dynamic imports included). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(root)) {
    const from = path.relative(root, path.dirname(file)).split(path.sep)[0] ?? '';
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from\s+|import\(\s*)'(\.[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), match[1]!);
      if (!target.startsWith(root + path.sep)) continue;
      const to = path.relative(root, target).split(path.sep)[0] ?? '';
      if (to === from || to.endsWith('.js')) continue;
      const edges = graph.get(from) ?? new Set<string>();
      edges.add(to);
      graph.set(from, edges);
    }
  }
  return graph;
}

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const visit = (node: string, trail: string[]): void => {
    const at = trail.indexOf(node);
    if (at >= 0) {
      found.push([...trail.slice(at), node]);
      return;
    }
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

describe('module layering of src/schema', () => {
  it('has no import cycle between its folders (query → declare → definition, never back)', () => {
    const graph = folderGraph();
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
    expect([...(graph.get('declare') ?? [])].sort()).not.toContain('query');
    expect([...(graph.get('definition') ?? [])].sort()).not.toContain('declare');
  });
});

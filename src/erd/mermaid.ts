import type { Diagram } from './diagram.js';

const TIER_CLASS = {
  manual: 'fill:#00FF0030,stroke:#00FF0030,color:darkgreen',
  lookup: 'fill:#00000020,stroke:#00000020,color:black',
  imported: 'fill:#00007F40,stroke:#00007F40,color:#00007F',
  computed: 'fill:#FF000020,stroke:#FF000020,color:#7F0000',
  part: 'fill:none,stroke:none,color:black,font-size:10px',
} as const;

/**
 * Mermaid flowchart text for renderers other than Graphviz: the same nodes, tiers and edge
 * styles (solid for primary, dotted for secondary, a `rename` label for renamed keys).
 */
export function toMermaid(diagram: Diagram): string {
  const ids = new Map(diagram.nodes.map((n, i) => [n.id, `t${i}`]));
  const lines = ['flowchart TB'];
  for (const node of diagram.nodes) {
    const text = node.name.replace(/"/g, "'");
    const shape = node.tier === 'manual' || node.tier === 'lookup' || node.tier === 'part' ? `["${text}"]` : `(["${text}"])`;
    lines.push(`  ${ids.get(node.id)}${shape}:::${node.tier}`);
  }
  for (const edge of diagram.edges) {
    const arrow = edge.primary ? '---' : '-.-';
    const label = edge.renamed ? `|${edge.renames.map(([c, p]) => `${c}←${p}`).join(', ')}|` : '';
    lines.push(`  ${ids.get(edge.parent)} ${arrow}${label} ${ids.get(edge.child)}`);
  }
  for (const [tier, style] of Object.entries(TIER_CLASS)) lines.push(`  classDef ${tier} ${style}`);
  return `${lines.join('\n')}\n`;
}

import type { Tier } from '../schema/declare/tiers.js';
import type { Diagram } from './diagram.js';

/**
 * DataJoint's classic (0.14) node styles, by tier: its shapes, colours and font sizes. `size` is a
 * minimum: every node grows to hold its label (DataJoint draws Computed tables as fixed 0.3-inch
 * circles, which long names overflow onto their neighbours).
 */
const TIER_STYLE: Readonly<Record<Tier, { shape: string; fillcolor: string; fontcolor: string; fontsize: number; size: number }>> = {
  manual: { shape: 'box', fillcolor: '#00FF0030', fontcolor: 'darkgreen', fontsize: 10, size: 0.4 },
  lookup: { shape: 'plaintext', fillcolor: '#00000020', fontcolor: 'black', fontsize: 8, size: 0.4 },
  imported: { shape: 'ellipse', fillcolor: '#00007F40', fontcolor: '#00007FA0', fontsize: 10, size: 0.4 },
  computed: { shape: 'ellipse', fillcolor: '#FF000020', fontcolor: '#7F0000A0', fontsize: 10, size: 0.3 },
  part: { shape: 'plaintext', fillcolor: '#00000000', fontcolor: 'black', fontsize: 8, size: 0.1 },
};

/** The renamed-key marker: a small orange dot on the edge, as DataJoint draws its alias nodes. */
const RENAME_DOT = 'shape=circle, style=filled, fillcolor="#FF880080", color="#FF880080", label="", width=0.05, height=0.05, fixedsize=true';

/**
 * Options of {@link Diagram.toDot} and {@link Diagram.toSvg}.
 *
 * @example
 * ```ts
 * diagram.toDot({ direction: 'LR', tooltips: false });
 * ```
 */
export interface DotOptions {
  /** Graph direction: `TB` (default) or `LR`. */
  readonly direction?: 'TB' | 'LR';
  /** Show each node's definition as its tooltip (default true). */
  readonly tooltips?: boolean;
}

function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '&#13;')}"`;
}

/**
 * DOT text in DataJoint's visual language. Deterministic: the same diagram always gives the same
 * text (nodes and edges are sorted).
 */
export function toDot(diagram: Diagram, options: DotOptions = {}): string {
  const databases = [...new Set(diagram.nodes.map((n) => n.database))];
  const lines = [`digraph ${q(databases.join('+'))} {`, `  rankdir=${options.direction ?? 'TB'};`, '  node [fontname="Helvetica", style=filled];', '  edge [arrowhead=none];'];
  const label = (id: string): string => {
    const node = diagram.nodes.find((n) => n.id === id);
    const name = node?.name ?? id;
    return databases.length > 1 ? `${node?.database ?? ''}.${name}` : name;
  };
  for (const node of diagram.nodes) {
    const style = TIER_STYLE[node.tier];
    const shown = node.tier === 'part' ? (node.name.split('.').pop() ?? node.name) : node.name;
    const attributes = [
      `label=${q(shown)}`, `shape=${style.shape}`, `fillcolor="${style.fillcolor}"`, `color="${style.fillcolor}"`,
      `fontcolor="${style.fontcolor}"`, `fontsize=${style.fontsize}`, `width=${style.size}`, `height=${style.size}`,
      'fixedsize=false', `class="tier-${node.tier}"`,
    ];
    if (options.tooltips ?? true) attributes.push(`tooltip=${q(node.definition)}`);
    lines.push(`  ${q(label(node.id))} [${attributes.join(', ')}];`);
  }
  diagram.edges.forEach((edge) => {
    const style = `style=${edge.primary ? 'solid' : 'dashed'}, penwidth=${edge.primary ? 2 : 0.75}`;
    if (edge.renamed) {
      const dot = `_rename_${label(edge.child)}_${edge.renames.map(([c]) => c).join('_')}`;
      const tip = edge.renames.map(([c, p]) => `${c} ← ${p}`).join('; ');
      lines.push(`  ${q(dot)} [${RENAME_DOT}, tooltip=${q(tip)}, class="renamed"];`);
      lines.push(`  ${q(label(edge.parent))} -> ${q(dot)} [${style}];`);
      lines.push(`  ${q(dot)} -> ${q(label(edge.child))} [${style}];`);
    } else {
      lines.push(`  ${q(label(edge.parent))} -> ${q(label(edge.child))} [${style}];`);
    }
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

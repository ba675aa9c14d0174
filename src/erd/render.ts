import { renderGraphFromSource } from 'graphviz-cli';

/**
 * Renders DOT to SVG with Graphviz compiled to WebAssembly (graphviz-cli, which bundles viz.js):
 * no `dot` executable is needed, which is what broke the original rg_pipeline's ERD export (`-er`).
 */
export async function renderSvg(dot: string): Promise<string> {
  return renderGraphFromSource({ input: dot }, { format: 'svg' });
}

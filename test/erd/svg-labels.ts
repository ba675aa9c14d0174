/**
 * Label geometry of a Graphviz SVG: where each node's label lands, estimated from Helvetica's
 * advance widths (the metrics Graphviz lays out with, and those of the Arial/Liberation Sans a
 * browser draws in its place), and what is wrong with it.
 */
import { XMLParser } from 'fast-xml-parser';

/** Helvetica advance widths in thousandths of an em (Adobe's AFM), for the characters table names use. */
const WIDTHS: Record<string, number> = {
  ' ': 278, '.': 278, ',': 278, '_': 556, '-': 333, '(': 333, ')': 333,
  A: 667, B: 667, C: 722, D: 722, E: 667, F: 611, G: 778, H: 722, I: 278, J: 500, K: 667, L: 556, M: 833,
  N: 722, O: 778, P: 667, Q: 778, R: 722, S: 667, T: 611, U: 722, V: 667, W: 944, X: 667, Y: 667, Z: 611,
  a: 556, b: 556, c: 500, d: 556, e: 556, f: 278, g: 556, h: 556, i: 222, j: 222, k: 500, l: 222, m: 833,
  n: 556, o: 556, p: 556, q: 556, r: 333, s: 500, t: 278, u: 556, v: 500, w: 722, x: 500, y: 500, z: 500,
};

export interface Box { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number }

export interface NodeLabel {
  readonly title: string;
  readonly text: string;
  /** The label's estimated extent, in the SVG's viewBox coordinates. */
  readonly box: Box;
  /** The node's drawn shape, when it has one (viewBox coordinates). */
  readonly shape?: { readonly kind: 'ellipse'; readonly cx: number; readonly cy: number; readonly rx: number; readonly ry: number } | { readonly kind: 'polygon'; readonly box: Box };
}

type Element = Record<string, unknown>;

function elements(value: unknown, name: string): Element[] {
  if (Array.isArray(value)) return value.flatMap((v) => elements(v, name));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Element).flatMap(([key, child]) => {
    const own = key === name ? (Array.isArray(child) ? child : [child]).filter((c): c is Element => typeof c === 'object' && c !== null) : [];
    return [...own, ...elements(child, name)];
  });
}

function textWidth(text: string, fontSize: number): number {
  return [...text].reduce((w, ch) => w + (WIDTHS[ch] ?? 667), 0) / 1000 * fontSize;
}

/** The labels of the nodes of an SVG that Graphviz drew, with their nodes' shapes. */
export function nodeLabels(svg: string): { viewBox: Box; labels: NodeLabel[] } {
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', textNodeName: '#text', htmlEntities: true, parseAttributeValue: false }).parse(svg) as { svg: Element };
  const [x0, y0, width, height] = String(xml.svg.viewBox).split(/\s+/).map(Number) as [number, number, number, number];
  const graph = elements(xml.svg, 'g').find((g) => g.class === 'graph')!;
  const transform = String(graph.transform);
  const scale = Number(/scale\(([-\d.]+)/.exec(transform)?.[1] ?? 1);
  const [tx, ty] = (/translate\(([-\d.]+)[ ,]([-\d.]+)\)/.exec(transform)?.slice(1).map(Number) ?? [0, 0]) as [number, number];
  const X = (x: number): number => scale * (x + tx);
  const Y = (y: number): number => scale * (y + ty);
  const labels = elements(graph, 'g').filter((g) => String(g.class).startsWith('node')).flatMap((node): NodeLabel[] => {
    const text = elements(node, 'text')[0];
    const content = text ? String(text['#text'] ?? '') : '';
    if (!text || content === '') return [];
    const size = Number(text['font-size']) * scale;
    const w = textWidth(content, size);
    const x = X(Number(text.x));
    const baseline = Y(Number(text.y));
    const anchor = String(text['text-anchor'] ?? 'start');
    const left = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
    // Helvetica's ascender and descender: 0.718 and 0.207 em.
    const box = { left, right: left + w, top: baseline - 0.718 * size, bottom: baseline + 0.207 * size };
    const ellipse = elements(node, 'ellipse')[0];
    const polygon = elements(node, 'polygon')[0];
    let shape: NodeLabel['shape'];
    if (ellipse) {
      shape = { kind: 'ellipse', cx: X(Number(ellipse.cx)), cy: Y(Number(ellipse.cy)), rx: scale * Number(ellipse.rx), ry: scale * Number(ellipse.ry) };
    } else if (polygon) {
      const points = String(polygon.points).trim().split(/\s+/).map((p) => p.split(',').map(Number) as [number, number]);
      const xs = points.map(([px]) => X(px));
      const ys = points.map(([, py]) => Y(py));
      shape = { kind: 'polygon', box: { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) } };
    }
    return [{ title: String(node.title), text: content, box, ...(shape ? { shape } : {}) }];
  });
  return { viewBox: { left: x0, top: y0, right: x0 + width, bottom: y0 + height }, labels };
}

const EPSILON = 0.5;

function inside(inner: Box, outer: Box): boolean {
  return inner.left >= outer.left - EPSILON && inner.right <= outer.right + EPSILON && inner.top >= outer.top - EPSILON && inner.bottom <= outer.bottom + EPSILON;
}

function overlap(a: Box, b: Box): boolean {
  return a.left < b.right - EPSILON && b.left < a.right - EPSILON && a.top < b.bottom - EPSILON && b.top < a.bottom - EPSILON;
}

/** Every way the labels fail to show: outside the picture, outside their node, or over another. */
export function labelProblems(svg: string): string[] {
  const { viewBox, labels } = nodeLabels(svg);
  const problems: string[] = [];
  for (const label of labels) {
    if (!inside(label.box, viewBox)) problems.push(`"${label.text}" runs outside the picture`);
    const shape = label.shape;
    if (shape?.kind === 'polygon' && !inside(label.box, shape.box)) problems.push(`"${label.text}" runs outside its box`);
    if (shape?.kind === 'ellipse') {
      const corners = [[label.box.left, label.box.top], [label.box.right, label.box.top], [label.box.left, label.box.bottom], [label.box.right, label.box.bottom]] as const;
      const out = corners.some(([x, y]) => ((x - shape.cx) / (shape.rx + EPSILON)) ** 2 + ((y - shape.cy) / (shape.ry + EPSILON)) ** 2 > 1);
      if (out) problems.push(`"${label.text}" runs outside its ellipse`);
    }
  }
  labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => {
    if (overlap(a.box, b.box)) problems.push(`"${a.text}" overlaps "${b.text}"`);
  }));
  return problems;
}

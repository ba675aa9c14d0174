import type { StimulationItem } from '../api-types.js';
import type { Layout } from './plotly.js';

/** Greys for stimulus frames: black at the lowest value, white at the highest. */
export const GREYS = [[0, '#000000'], [1, '#ffffff']];

/** ColorBrewer RdBu, blue (OFF, below the mean) to red (ON, above it); used symmetric about zero. */
export const DIVERGING = ['#053061', '#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7', '#fddbc7', '#f4a582', '#d6604d', '#b2182b', '#67001f']
  .map((colour, i, all) => [i / (all.length - 1), colour]);

/** Where the blocks of a stimulation sit on the retina, in µm (block centres), for heatmaps. */
export function blockGeometry(stimulation: StimulationItem): { x0: number; dx: number; y0: number; dy: number } {
  const dx = stimulation.x_block_size * stimulation.pixel_size;
  const dy = stimulation.y_block_size * stimulation.pixel_size;
  return { x0: dx / 2, dx, y0: dy / 2, dy };
}

/** The largest |value| (NaN skipped), at least a tiny positive number so a scale is never empty. */
export function maxAbs(values: ArrayLike<number>, baseline = 0): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]! - baseline);
    if (v > max) max = v;
  }
  return max > 0 ? max : 1e-9;
}

/** One cell of a grid of small heatmaps: its axes and where it sits (paper fractions). */
export interface GridCell {
  readonly xaxis: string;
  readonly yaxis: string;
  readonly x: [number, number];
  readonly y: [number, number];
}

/**
 * Axes for a grid of small heatmaps (a lag montage, the population): one x/y axis pair per cell,
 * blocks square on screen, no tick labels, a line for a title above each. The height follows from
 * the width and the stimulus' aspect, so that no row is left with empty space.
 */
export function gridAxes(count: number, columns: number, options: { width: number; aspect: number; margin: { l: number; r: number; t: number; b: number }; titlePx?: number; gapPx?: number }): { layout: Layout; cells: GridCell[]; height: number } {
  const { width, aspect, margin } = options;
  const titlePx = options.titlePx ?? 16;
  const gapPx = options.gapPx ?? 10;
  const rowsCount = Math.ceil(count / columns);
  const plotWidth = Math.max(200, width - margin.l - margin.r);
  const cellWidth = plotWidth / columns;
  const imageHeight = Math.max(12, Math.min((cellWidth - gapPx) * aspect, 220));
  const rowHeight = imageHeight + titlePx + gapPx;
  const plotHeight = rowsCount * rowHeight;
  const layout: Layout = {};
  const cells: GridCell[] = [];
  for (let i = 0; i < count; i++) {
    const column = i % columns;
    const row = Math.floor(i / columns);
    const suffix = i === 0 ? '' : String(i + 1);
    const x: [number, number] = [(column * cellWidth + gapPx / 2) / plotWidth, ((column + 1) * cellWidth - gapPx / 2) / plotWidth];
    const top = 1 - (row * rowHeight + titlePx) / plotHeight;
    const y: [number, number] = [Math.max(0, top - imageHeight / plotHeight), top];
    layout[`xaxis${suffix}`] = { domain: x, visible: false, constrain: 'domain', anchor: `y${suffix}` };
    layout[`yaxis${suffix}`] = { domain: y, visible: false, scaleanchor: `x${suffix}`, constrain: 'domain', autorange: 'reversed', anchor: `x${suffix}` };
    cells.push({ xaxis: `x${suffix}`, yaxis: `y${suffix}`, x, y });
  }
  return { layout, cells, height: Math.ceil(plotHeight + margin.t + margin.b) };
}

/** Height over width of a stimulation's screen area (what a heatmap of one frame occupies). */
export function aspectOf(stimulation: StimulationItem): number {
  const { dx, dy } = blockGeometry(stimulation);
  return (stimulation.y_blocks * dy) / (stimulation.x_blocks * dx);
}

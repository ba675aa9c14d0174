import type { AverageResponse, FrameResponse, StimulationItem } from '../api-types.js';
import { decode, rows } from './api.js';
import { count, sec } from './format.js';
import { blockGeometry, GREYS } from './geometry.js';
import { clearPlot, draw, type Trace } from './plotly.js';

const HOVER = 'x %{x:.0f} µm, y %{y:.0f} µm<br>value %{z:.3f}<extra>%{fullData.name}</extra>';

/**
 * The original viewer's view: the frame on screen at the spike (left) and the mean of the `delay`
 * frames up to it (right), in grey on one shared scale with one colour bar. A spike outside the
 * movie gets its sentence instead; a refused delay leaves the right panel with the reason.
 */
export async function drawFrames(stimulation: StimulationItem, frame: FrameResponse, average: AverageResponse | Error): Promise<void> {
  if (!frame.frame) {
    clearPlot('frames-plot', frame.spike.message ?? 'No frame was on screen at this spike.');
    return;
  }
  const { x0, dx, y0, dy } = blockGeometry(stimulation);
  const { x_blocks: xb, y_blocks: yb } = stimulation;
  const frameValues = decode(frame.frame);
  const averageValues = !(average instanceof Error) && average.average ? decode(average.average) : undefined;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const values of [frameValues, averageValues]) {
    if (values) for (const v of values) { if (v < low) low = v; if (v > high) high = v; }
  }
  if (low === high) { low -= 1; high += 1; }
  const base = { type: 'heatmap', x0, dx, y0, dy, coloraxis: 'coloraxis', hovertemplate: HOVER };
  const traces: Trace[] = [{ ...base, name: 'frame', z: rows(frameValues, xb, yb), xaxis: 'x', yaxis: 'y' }];
  const f = frame.spike.frame_index;
  const titles = [`<b>Frame ${f}</b>, on screen at the spike (${sec(frame.frame_start!, 3)}–${sec(frame.frame_end!, 3)})`];
  if (averageValues && !(average instanceof Error)) {
    traces.push({ ...base, name: 'average', z: rows(averageValues, xb, yb), xaxis: 'x2', yaxis: 'y2' });
    titles.push(`<b>Mean of ${count(average.delay, 'frame')}</b> up to the spike (frames ${average.first_frame}–${average.last_frame})`);
  } else {
    titles.push(average instanceof Error ? 'No average: see the delay' : 'No average');
  }
  const axis = { title: { text: 'x (µm)' }, constrain: 'domain', zeroline: false, showgrid: false };
  await draw('frames-plot', traces, {
    margin: { l: 64, r: 16, t: 40, b: 44 },
    xaxis: { ...axis, domain: [0, 0.43] },
    yaxis: { title: { text: 'y (µm)' }, scaleanchor: 'x', constrain: 'domain', autorange: 'reversed', zeroline: false, showgrid: false },
    xaxis2: { ...axis, domain: [0.5, 0.93], anchor: 'y2' },
    yaxis2: { scaleanchor: 'x2', constrain: 'domain', autorange: 'reversed', anchor: 'x2', zeroline: false, showgrid: false },
    coloraxis: { colorscale: GREYS, cmin: low, cmax: high, colorbar: { title: { text: 'stimulus', side: 'right' }, x: 0.95, thickness: 14, len: 0.9 } },
    annotations: titles.map((text, i) => ({ text, xref: 'paper', yref: 'paper', x: i === 0 ? 0.215 : 0.715, y: 1.02, xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 13 } })),
    showlegend: false,
  }, `frames-${f}`);
}

import type { SpikeList, StimulationItem } from '../api-types.js';
import { sec } from './format.js';
import { draw } from './plotly.js';

/** A bin width near duration / 120, rounded to 1, 2 or 5 × a power of ten. */
function binWidth(span: number): number {
  const raw = Math.max(span / 120, 1e-3);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((w) => w >= raw) ?? raw;
}

/**
 * The neuron's spike train over the recording: a raster (one tick per spike; click one to choose
 * it) over its firing rate, with the movie's span shaded and the chosen spike marked in red.
 */
export async function drawRaster(stimulation: StimulationItem, spikes: SpikeList, chosen: number | undefined, pick: (spikeIndex: number) => void): Promise<void> {
  const times = spikes.spike_time;
  const start = Math.min(0, ...times.slice(0, 1));
  const end = Math.max(stimulation.movie_end, times.length > 0 ? times[times.length - 1]! : 0);
  const width = binWidth(end - start);
  const bins = Math.max(1, Math.ceil((end - start) / width));
  const counts = new Array<number>(bins).fill(0);
  for (const t of times) counts[Math.min(bins - 1, Math.max(0, Math.floor((t - start) / width)))]!++;
  const position = chosen === undefined ? -1 : spikes.spike_index.indexOf(chosen);
  const chosenTime = position >= 0 ? times[position]! : undefined;
  const plot = await draw('raster-plot', [
    {
      type: 'bar', name: 'rate', x: counts.map((_, i) => start + (i + 0.5) * width), y: counts.map((n) => n / width), width,
      marker: { color: '#8797a4' }, xaxis: 'x', yaxis: 'y', hovertemplate: `%{x:.2f} s: %{y:.1f} spikes/s<extra>rate (${sec(width, 3)} bins)</extra>`,
    },
    {
      type: 'scatter', mode: 'markers', name: 'spikes', x: times, y: times.map(() => 0), customdata: spikes.spike_index,
      marker: { symbol: 'line-ns-open', size: 18, line: { width: 1, color: '#1d2327' }, color: '#1d2327' },
      xaxis: 'x', yaxis: 'y2', hovertemplate: 'spike %{customdata}<br>%{x:.4f} s<extra>click to choose</extra>',
    },
    ...(chosenTime === undefined ? [] : [{
      type: 'scatter', mode: 'markers', name: 'chosen spike', x: [chosenTime], y: [0], customdata: [chosen],
      marker: { symbol: 'line-ns-open', size: 30, color: '#b2182b', line: { width: 3, color: '#b2182b' } },
      xaxis: 'x', yaxis: 'y2', hovertemplate: 'chosen spike %{customdata}<br>%{x:.4f} s<extra></extra>',
    }]),
  ], {
    margin: { l: 64, r: 20, t: 34, b: 44 },
    showlegend: false, bargap: 0,
    xaxis: { title: { text: 'time from the recording start (s)' }, range: [start, end], zeroline: false },
    yaxis: { title: { text: 'spikes/s' }, domain: [0, 0.66], rangemode: 'tozero' },
    yaxis2: { domain: [0.74, 1], visible: false, range: [-1, 1], fixedrange: true },
    shapes: [
      { type: 'rect', xref: 'x', yref: 'paper', x0: stimulation.stimulus_onset, x1: stimulation.movie_end, y0: 0, y1: 1, fillcolor: 'rgba(33,102,172,0.08)', line: { width: 0 }, layer: 'below' },
      ...(chosenTime === undefined ? [] : [{ type: 'line', xref: 'x', yref: 'paper', x0: chosenTime, x1: chosenTime, y0: 0, y1: 1, line: { color: '#b2182b', width: 1.5, dash: 'dot' } }]),
    ],
    annotations: [{ text: 'movie', xref: 'x', yref: 'paper', x: (stimulation.stimulus_onset + stimulation.movie_end) / 2, y: 0.7, showarrow: false, font: { color: '#2166ac', size: 11 } }],
  }, 'spike-train');
  plot.on('plotly_click', (event) => {
    const point = event.points[0];
    if (point && (point.data.name === 'spikes' || point.data.name === 'chosen spike')) {
      const index = Array.isArray(point.pointNumber) ? point.pointNumber[0]! : point.pointNumber;
      pick(Number((point.data.customdata as number[])[index]));
    }
  });
}

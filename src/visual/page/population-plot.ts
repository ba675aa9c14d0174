import type { PopulationResponse, StimulationItem } from '../api-types.js';
import { decode, rows } from './api.js';
import { element, num } from './format.js';
import { aspectOf, blockGeometry, DIVERGING, gridAxes, maxAbs } from './geometry.js';
import { clearPlot, draw, type Trace } from './plotly.js';

/**
 * Every neuron's spatial map at its peak lag, as small multiples sorted by peak strength (SNR),
 * each normalised to its own peak so that weak fields still show their shape. Clicking a map, or
 * its link below, chooses that neuron.
 */
export async function drawPopulation(
  stimulation: StimulationItem, population: PopulationResponse, current: number | undefined,
  link: (neuronIndex: number) => string, pick: (neuronIndex: number) => void,
): Promise<void> {
  const links = document.getElementById('population-links')!;
  links.replaceChildren();
  const shown = population.neurons.filter((n) => n.spatial_map !== null);
  for (const neuron of population.neurons) {
    const a = element('a', { href: link(neuron.neuron_index), 'data-neuron': String(neuron.neuron_index), ...(neuron.neuron_index === current ? { 'aria-current': 'true' } : {}) },
      `#${neuron.neuron_index}${neuron.snr === null ? ' (no STA)' : ` ${num(neuron.snr, 1)}`}`);
    a.addEventListener('click', (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      pick(neuron.neuron_index);
    });
    links.append(a);
  }
  if (shown.length === 0) {
    clearPlot('population-plot', `No neuron of this stimulation has a usable ${population.n_lags}-lag STA yet.`);
    return;
  }
  const { x0, dx, y0, dy } = blockGeometry(stimulation);
  const { x_blocks: xb, y_blocks: yb } = stimulation;
  const columns = Math.min(shown.length, 8);
  const plotElement = document.getElementById('population-plot')!;
  const margin = { l: 8, r: 90, t: 30, b: 8 };
  const { layout, cells, height } = gridAxes(shown.length, columns, { width: plotElement.clientWidth, aspect: aspectOf(stimulation), margin });
  const traces: Trace[] = shown.map((neuron, i) => {
    const values = decode(neuron.spatial_map!);
    const scale = maxAbs(values, population.baseline);
    return {
      type: 'heatmap', name: `neuron ${neuron.neuron_index}`, z: rows(values, xb, yb, population.baseline).map((r) => r.map((v) => v / scale)),
      x0, dx, y0, dy, coloraxis: 'coloraxis', xaxis: cells[i]!.xaxis, yaxis: cells[i]!.yaxis, customdata: [[neuron.neuron_index]],
      hovertemplate: `neuron ${neuron.neuron_index} · lag ${neuron.peak_lag} · SNR ${num(neuron.snr ?? 0, 1)}<br>%{z:+.2f} of its peak<extra>click to choose</extra>`,
    };
  });
  const chosen = shown.findIndex((n) => n.neuron_index === current);
  plotElement.style.height = `${height}px`;
  const plot = await draw('population-plot', traces, {
    ...layout, showlegend: false, margin, height,
    coloraxis: { colorscale: DIVERGING, cmin: -1, cmax: 1, colorbar: { title: { text: 'of own peak', side: 'right' }, thickness: 12, len: 0.8 } },
    annotations: cells.map((cell, i) => ({
      text: `${i === chosen ? '<b>' : ''}#${shown[i]!.neuron_index} · SNR ${num(shown[i]!.snr ?? 0, 1)}${i === chosen ? '</b>' : ''}`,
      xref: 'paper', yref: 'paper', x: (cell.x[0] + cell.x[1]) / 2, y: cell.y[1], xanchor: 'center', yanchor: 'bottom', showarrow: false,
      font: { size: 10, color: i === chosen ? '#b2182b' : '#1d2327' },
    })),
    shapes: chosen < 0 ? [] : [{
      type: 'rect', xref: 'paper', yref: 'paper', x0: cells[chosen]!.x[0] - 0.004, x1: cells[chosen]!.x[1] + 0.004,
      y0: cells[chosen]!.y[0] - 0.01, y1: cells[chosen]!.y[1] + 0.01, line: { color: '#b2182b', width: 2 },
    }],
  }, `population-${population.n_lags}-lags`);
  plot.on('plotly_click', (event) => {
    const point = event.points[0];
    if (point) pick(shown[point.curveNumber]!.neuron_index);
  });
}

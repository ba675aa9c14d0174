import type { StaResponse, StimulationItem } from '../api-types.js';
import { decode, rows } from './api.js';
import { count, ms, num, signed } from './format.js';
import { aspectOf, blockGeometry, DIVERGING, gridAxes, maxAbs } from './geometry.js';
import { clearPlot, draw, type Trace } from './plotly.js';

const MAP_HOVER = 'x %{x:.0f} µm, y %{y:.0f} µm<br>STA − mean %{z:+.3f}<extra>%{fullData.name}</extra>';

/** A sentence on how many spikes went into an STA and why others did not. */
export function usedSentence(sta: { n_lags: number; n_used: number; n_skipped_before: number; n_skipped_after: number }): string {
  const skipped = sta.n_skipped_before + sta.n_skipped_after;
  const why = skipped === 0 ? '' : ` (${[
    sta.n_skipped_before > 0 ? `${sta.n_skipped_before} too early to have ${sta.n_lags} frames before them` : '',
    sta.n_skipped_after > 0 ? `${sta.n_skipped_after} after the movie` : '',
  ].filter(Boolean).join(', ')})`;
  return `${count(sta.n_used, 'spike')} used, ${skipped} skipped${why}.`;
}

/**
 * The stored STA of one StaParams row, minus the movie's mean so that ON (red) and OFF (blue)
 * read at a glance, on a scale symmetric about zero shared by the map and the montage: the spatial
 * map at the peak lag with the peak block circled, the temporal kernel at the peak block (±2
 * noise SE shaded), and every lag as a montage.
 */
export async function drawSta(stimulation: StimulationItem, sta: StaResponse): Promise<void> {
  if (sta.n_used === 0 || !sta.spatial_map || !sta.temporal_kernel || sta.peak_lag === null) {
    const message = `No spike could be used for ${sta.n_lags} lags: ${usedSentence(sta)}`;
    for (const id of ['sta-map-plot', 'sta-kernel-plot', 'sta-montage-plot']) clearPlot(id, message);
    return;
  }
  const { x0, dx, y0, dy } = blockGeometry(stimulation);
  const { x_blocks: xb, y_blocks: yb } = stimulation;
  const frameSize = xb * yb;
  const all = decode(sta.sta);
  const limit = maxAbs(all, sta.baseline);
  const coloraxis = { colorscale: DIVERGING, cmin: -limit, cmax: limit, colorbar: { title: { text: 'STA − mean', side: 'right' }, thickness: 14, len: 0.9 } };
  const peakMs = sta.lag_ms[sta.peak_lag]!;
  const peakX = x0 + sta.peak_x! * dx;
  const peakY = y0 + sta.peak_y! * dy;

  await draw('sta-map-plot', [
    { type: 'heatmap', name: `lag ${sta.peak_lag}`, z: rows(decode(sta.spatial_map), xb, yb, sta.baseline), x0, dx, y0, dy, coloraxis: 'coloraxis', hovertemplate: MAP_HOVER },
    { type: 'scatter', mode: 'markers', name: 'peak block', x: [peakX], y: [peakY], marker: { symbol: 'circle-open', size: 18, color: '#111111', line: { width: 2.5, color: '#111111' } },
      hovertemplate: `peak block (${sta.peak_x}, ${sta.peak_y})<extra></extra>` },
  ], {
    title: { text: `<b>Spatial map</b> at the peak lag ${sta.peak_lag} (${ms(peakMs)})`, font: { size: 13 }, x: 0.01, xanchor: 'left' },
    xaxis: { title: { text: 'x (µm)' }, constrain: 'domain', showgrid: false, zeroline: false },
    yaxis: { title: { text: 'y (µm)' }, scaleanchor: 'x', constrain: 'domain', autorange: 'reversed', showgrid: false, zeroline: false },
    coloraxis, showlegend: false, margin: { l: 64, r: 16, t: 40, b: 44 },
  }, `sta-map-${sta.n_lags}-lags`);

  const kernel = decode(sta.temporal_kernel);
  const x = sta.lag_ms.map((t) => -t);
  const y = Array.from(kernel, (v) => v - sta.baseline);
  const band = 2 * (sta.noise ?? 0);
  const step = Math.max(1, Math.ceil(sta.n_lags / 10));
  const ticks = sta.lag_ms.map((_, k) => k).filter((k) => k % step === 0);
  await draw('sta-kernel-plot', [
    { type: 'scatter', mode: 'lines', name: '+2 SE', x, y: x.map(() => band), line: { width: 0 }, hoverinfo: 'skip' },
    { type: 'scatter', mode: 'lines', name: 'noise (±2 SE)', x, y: x.map(() => -band), line: { width: 0 }, fill: 'tonexty', fillcolor: 'rgba(120,130,140,0.16)', hoverinfo: 'skip' },
    { type: 'scatter', mode: 'lines+markers', name: 'temporal kernel', x, y, customdata: sta.lag_ms.map((_, k) => k),
      line: { color: (sta.peak_value ?? 0) >= sta.baseline ? '#b2182b' : '#2166ac', width: 2.5 }, marker: { size: 6 },
      hovertemplate: 'lag %{customdata} (%{x:.1f} ms)<br>STA − mean %{y:+.3f}<extra></extra>' },
  ], {
    title: { text: `<b>Temporal kernel</b> at the peak block (${sta.peak_x}, ${sta.peak_y})`, font: { size: 13 }, x: 0.01, xanchor: 'left' },
    xaxis: {
      title: { text: 'time before the spike (ms · frames)' }, tickvals: ticks.map((k) => x[k]), zeroline: false,
      ticktext: ticks.map((k) => (k === 0 ? '0<br>0 fr' : `−${num(sta.lag_ms[k]!, 0)}<br>−${k} fr`)),
    },
    yaxis: { title: { text: 'STA − mean' }, zeroline: true, zerolinecolor: '#9aa5ad' },
    showlegend: false, margin: { l: 64, r: 16, t: 40, b: 56 },
    shapes: [{ type: 'line', xref: 'x', yref: 'paper', x0: -peakMs, x1: -peakMs, y0: 0, y1: 1, line: { color: '#5f6b73', width: 1, dash: 'dot' } }],
  }, `sta-kernel-${sta.n_lags}-lags`);

  const columns = Math.min(sta.n_lags, 10);
  const element = document.getElementById('sta-montage-plot')!;
  const margin = { l: 10, r: 90, t: 34, b: 8 };
  const { layout, cells, height } = gridAxes(sta.n_lags, columns, { width: element.clientWidth, aspect: aspectOf(stimulation), margin });
  const montage: Trace[] = cells.map((cell, k) => ({
    type: 'heatmap', name: `lag ${k}`, z: rows(all, xb, yb, sta.baseline, k * frameSize), x0, dx, y0, dy,
    coloraxis: 'coloraxis', xaxis: cell.xaxis, yaxis: cell.yaxis, hovertemplate: MAP_HOVER,
  }));
  element.style.height = `${height}px`;
  await draw('sta-montage-plot', montage, {
    ...layout, coloraxis, showlegend: false, margin, height,
    title: { text: `<b>Every lag</b> (${sta.n_lags}), on the map's scale`, font: { size: 13 }, x: 0.01, xanchor: 'left' },
    annotations: cells.map((cell, k) => ({
      text: k === sta.peak_lag ? `<b>lag ${k} · ${ms(sta.lag_ms[k]!)} (peak)</b>` : `lag ${k} · ${ms(sta.lag_ms[k]!)}`,
      xref: 'paper', yref: 'paper', x: (cell.x[0] + cell.x[1]) / 2, y: cell.y[1], xanchor: 'center', yanchor: 'bottom', showarrow: false,
      font: { size: 10, color: k === sta.peak_lag ? '#b2182b' : '#5f6b73' },
    })),
  }, `sta-lags-${sta.n_lags}`);
}

/** One line on the chosen STA: where its peak is, how strong, from how many spikes. */
export function staSentence(sta: StaResponse): string {
  if (sta.peak_lag === null || sta.peak_value === null) return usedSentence(sta);
  return `Peak ${signed(sta.peak_value - sta.baseline)} from the mean (${sta.peak_value >= sta.baseline ? 'ON' : 'OFF'}) at lag ${sta.peak_lag} (${ms(sta.lag_ms[sta.peak_lag]!)} before the spike), block (${sta.peak_x}, ${sta.peak_y}); ${sta.snr === null ? '' : `${num(sta.snr, 1)}× the noise SE; `}${usedSentence(sta)}`;
}

/**
 * The few Plotly calls the page makes, typed narrowly. Plotly itself is the cartesian partial
 * bundle, loaded from this server by its own script tag before the page's code.
 */
export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;

/** A div Plotly has drawn into: Plotly keeps the figure's traces on `.data` (the tests read them). */
export interface PlotElement extends HTMLElement {
  data?: Trace[];
  layout?: Layout;
  on(event: 'plotly_click', handler: (event: { points: Array<{ curveNumber: number; pointNumber: number | number[]; x: unknown; y: unknown; data: Trace }> }) => void): void;
  removeAllListeners?(event: string): void;
}

interface PlotlyApi {
  react(element: HTMLElement, data: Trace[], layout: Layout, config: Record<string, unknown>): Promise<PlotElement>;
  purge(element: HTMLElement): void;
}

declare global {
  interface Window {
    Plotly: PlotlyApi;
  }
}

/** Every plot gets Plotly's toolbar, always visible, as Dash users had it: zoom, pan, hover values, save as PNG. */
function config(filename: string): Record<string, unknown> {
  return {
    displayModeBar: true,
    displaylogo: false,
    responsive: true,
    scrollZoom: false,
    modeBarButtonsToRemove: ['lasso2d', 'select2d'],
    toImageButtonOptions: { format: 'png', filename, scale: 2 },
  };
}

const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif', size: 12, color: '#1d2327' };

/**
 * Draws (or redraws in place) a figure; click handlers are replaced, not stacked.
 *
 * @example
 * ```ts
 * await draw('raster-plot', [{ type: 'scatter', x: [1, 2], y: [0, 0] }], { height: 240 }, 'raster');
 * ```
 */
export async function draw(id: string, data: Trace[], layout: Layout, filename: string): Promise<PlotElement> {
  const element = document.getElementById(id)!;
  element.classList.remove('empty');
  if (element.dataset.message !== undefined) {
    element.textContent = '';
    delete element.dataset.message;
  }
  const plot = await window.Plotly.react(element, data, {
    font: FONT, paper_bgcolor: '#ffffff', plot_bgcolor: '#ffffff',
    margin: { l: 60, r: 20, t: 36, b: 48 }, hoverlabel: { font: { family: FONT.family } },
    ...layout,
  }, config(filename));
  plot.removeAllListeners?.('plotly_click');
  return plot;
}

/** Replaces a plot by a sentence (a spike outside the movie, no STA yet, …). */
export function clearPlot(id: string, message: string): void {
  const element = document.getElementById(id)!;
  window.Plotly.purge(element);
  element.textContent = message;
  element.dataset.message = message;
  element.classList.add('empty');
}

import type { PageAssets } from './assets.js';

/**
 * Text for HTML content and attributes.
 *
 * @example
 * ```ts
 * escapeHtml('<KO "x">'); // '&lt;KO &quot;x&quot;&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The page's skeleton: the pickers, a place for every plot, and the scripts (Plotly's partial
 * bundle, then the page's own). What the selection shows is drawn by the page from the API.
 */
export function pageHtml(assets: PageAssets, database: string): string {
  const db = escapeHtml(database);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rg-visual · ${db}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${assets.css.name}">
<script src="/assets/${assets.plotly.name}" defer></script>
<script src="/assets/${assets.app.name}" defer></script>
</head>
<body>
<header class="top">
  <h1>rg-visual</h1>
  <span class="database" title="the database this viewer reads (read-only)">${db}</span>
  <nav>
    <a href="#spike-section">Spike</a>
    <a href="#raster-section">Spike train</a>
    <a href="#rf-section">Receptive field</a>
    <a href="#population-section">Population</a>
    <a href="#pipeline-section">Pipeline</a>
  </nav>
</header>
<div id="banner" class="banner" role="alert" hidden></div>
<main>
<section id="pickers" class="card pickers" aria-label="selection">
  <label>Session <small>subject | sample | date</small><select id="session"></select></label>
  <label>Stimulation<select id="stimulation"></select></label>
  <label>Neuron<select id="neuron"></select></label>
  <label>Spike <small>time | movie time</small>
    <span class="spike-picker">
      <button id="previous-spike" type="button" title="previous spike (←)" aria-label="previous spike">◀</button>
      <select id="spike"></select>
      <button id="next-spike" type="button" title="next spike (→)" aria-label="next spike">▶</button>
    </span>
  </label>
  <label>Frames to average <small>the spike's frame and those before it</small>
    <input id="delay" type="number" min="1" step="1" inputmode="numeric" aria-describedby="delay-error">
    <span id="delay-error" class="field-error" role="alert"></span>
  </label>
  <p id="stimulation-details" class="details"></p>
</section>

<section id="spike-section" class="card">
  <h2>At the spike <span id="spike-title" class="subtitle"></span></h2>
  <div id="spike-message" class="notice" hidden></div>
  <div id="frames-plot" class="plot plot-frames"></div>
</section>

<section id="raster-section" class="card">
  <h2>Spike train <span id="raster-title" class="subtitle"></span></h2>
  <div id="raster-plot" class="plot plot-raster"></div>
</section>

<section id="rf-section" class="card">
  <h2>Receptive field <span class="subtitle">stored spike-triggered average, minus the movie mean</span></h2>
  <div id="sta-choices" class="choices" role="tablist" aria-label="spike-triggered averages by number of lags"></div>
  <p id="sta-summary" class="sta-summary"></p>
  <div id="sta-message" class="notice" hidden></div>
  <div class="row">
    <div id="sta-map-plot" class="plot plot-map"></div>
    <div id="sta-kernel-plot" class="plot plot-kernel"></div>
  </div>
  <div id="sta-montage-plot" class="plot plot-montage"></div>
</section>

<section id="population-section" class="card">
  <h2>Population <span id="population-title" class="subtitle"></span></h2>
  <div id="population-plot" class="plot plot-population"></div>
  <p id="population-links" class="links"></p>
</section>

<section id="pipeline-section" class="card">
  <h2>Pipeline <span class="subtitle">${db}</span></h2>
  <div id="state" class="state"></div>
  <figure class="erd"><img id="erd" src="/api/erd.svg" alt="Entity-relationship diagram of the RGC pipeline"><figcaption>The pipeline's tables (as <code>rg-erd</code> draws them).</figcaption></figure>
</section>
</main>
<footer>rg-visual reads the database and never writes to it. Plots: Plotly (toolbar at the top right of each plot: zoom, pan, hover values, save as PNG).</footer>
</body>
</html>
`;
}

/** What the browser gets instead of the page when the pipeline cannot be read: a sentence, no stack. */
export function problemHtml(message: string, database: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>rg-visual · database unavailable</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}code{background:#f2f2f2;padding:0 .25em;border-radius:3px}.db{font-family:ui-monospace,monospace}</style>
</head>
<body>
<h1>rg-visual cannot show the pipeline</h1>
<p id="problem">${escapeHtml(message).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>
<p>Database: <span class="db">${escapeHtml(database)}</span></p>
<p>Fix it and reload this page; rg-visual keeps running.</p>
</body>
</html>
`;
}

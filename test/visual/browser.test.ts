import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { NdArray } from 'ndarray';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Diagram } from '../../src/index.js';
import * as rgc from '../../src/pipeline.js';
import type { PopulationResponse, SessionItem, SpikeList, StimulationItem } from '../../src/visual/api-types.js';
import { createViewer, type Viewer } from '../../src/visual/index.js';
import { dialects } from '../setup/dialects.js';
import { chromiumInstalled, CHROMIUM, launchChromium } from './chromium.js';
import { columnMajor, rounded } from './arrays.js';
import { demoDatabase } from './demo-database.js';

if (!chromiumInstalled && process.env.RG_TEST_REQUIRE_CHROMIUM === '1') {
  throw new Error(`RG_TEST_REQUIRE_CHROMIUM=1 but there is no browser at ${CHROMIUM} (apt-get install chromium).`);
}

/** Screenshots of every run, for people to look at (git-ignored). */
const ARTIFACTS = path.resolve('test-artifacts/visual');
/** Set (e.g. to docs/viewer.png) to write the README's picture from the SQLite run. */
const README_SCREENSHOT = process.env.RG_VIEWER_SCREENSHOT;

afterAll(() => Connection.closeAll());

/** The page's document, inside page.evaluate callbacks (this file is type-checked for Node). */
declare const document: { getElementById(id: string): unknown };
declare const window: { scrollTo(x: number, y: number): void };

type Trace = { name?: string; type?: string; x?: number[]; y?: number[]; z?: number[][]; customdata?: unknown };

/** Plotly keeps a drawn figure's traces on the div: what the page actually plotted. */
function plotted(page: Page, id: string): Promise<Trace[]> {
  return page.evaluate((plotId) => JSON.parse(JSON.stringify((document.getElementById(plotId) as { data?: unknown[] }).data ?? [])) as Trace[], id);
}

/** Heatmap rows z[y][x] back to the column-major frame the API and the kernel use. */
function flatten(z: number[][], add = 0): number[] {
  const xBlocks = z[0]!.length;
  const out = new Array<number>(z.length * xBlocks);
  z.forEach((row, j) => row.forEach((v, i) => { out[j * xBlocks + i] = v + add; }));
  return out;
}

function params(page: Page): Record<string, string> {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

/** Waits until the page has taken a new selection (the URL says what) and drawn it. */
async function settled(page: Page, expected: Record<string, string>): Promise<void> {
  await page.waitForURL((url) => Object.entries(expected).every(([k, v]) => url.searchParams.get(k) === v));
  await page.waitForSelector('body[data-state="ready"]');
}

describe.runIf(chromiumInstalled).each(dialects)('rg-visual in chromium on $name', (dialect) => {
  let viewer: Viewer;
  let base: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    const demo = await demoDatabase(dialect, `visual_browser_${dialect.name}`, 0.1);
    viewer = await createViewer({ database: { connection: demo.url, prefix: demo.prefix }, erdSvg: () => Diagram.of(rgc.pipeline).toSvg() });
    base = await viewer.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium({ width: 1440, height: 900 });
    page = await browser.context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
  });

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${dialect.name}-${name}.png`), fullPage: true });

  it('walks session → stimulation → neuron → spike through the pickers, and plots what the API and the kernel say', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-state="ready"]');
    // A bare URL is filled in with a complete selection, so that it can be shared as it is.
    expect(Object.keys(params(page))).toEqual(['subject_name', 'sample_number', 'session_date', 'stimulation_index', 'neuron_index', 'spike_index', 'delay', 'n_lags']);
    await shot('1-opened');

    // The neuron with the clearest receptive field among the 2-d checkerboards, found through the API.
    const sessions = await (await fetch(`${base}/api/sessions`)).json() as SessionItem[];
    let target: { session: number; stim: StimulationItem; stimIndex: number; neuron: number; snr: number } | undefined;
    for (const [s, session] of sessions.entries()) {
      if (session.n_loaded === 0) continue;
      const key = new URLSearchParams({ subject_name: session.subject_name, sample_number: String(session.sample_number), session_date: session.session_date });
      const stims = await (await fetch(`${base}/api/stimulations?${key}`)).json() as StimulationItem[];
      for (const [t, stim] of stims.entries()) {
        if (stim.x_blocks < 2 || stim.y_blocks < 2) continue;
        const population = await (await fetch(`${base}/api/population?${key}&stimulation_index=${stim.stimulation_index}&n_lags=10`)).json() as PopulationResponse;
        const best = population.neurons[0]!;
        if (!target || (best.snr ?? 0) > target.snr) target = { session: s, stim, stimIndex: t, neuron: best.neuron_index, snr: best.snr ?? 0 };
      }
    }
    const { stim } = target!;
    const session = sessions[target!.session]!;

    await page.selectOption('#session', String(target!.session));
    await settled(page, { subject_name: session.subject_name, sample_number: String(session.sample_number), session_date: session.session_date });
    await page.selectOption('#stimulation', String(target!.stimIndex));
    await settled(page, { stimulation_index: String(stim.stimulation_index) });
    const neuronOptions = await page.$$eval('#neuron option', (options) => options.map((o) => o.textContent ?? ''));
    const neuronPosition = neuronOptions.findIndex((label) => label.startsWith(`neuron ${target!.neuron} ·`));
    expect(neuronPosition).toBeGreaterThanOrEqual(0);
    await page.selectOption('#neuron', String(neuronPosition));
    await settled(page, { neuron_index: String(target!.neuron) });

    const key = { subject_name: stim.subject_name, sample_number: stim.sample_number, session_date: stim.session_date, stimulation_index: stim.stimulation_index, neuron_index: target!.neuron };
    const spikes = await (await fetch(`${base}/api/spikes?${new URLSearchParams(Object.entries(key).map(([k, v]): [string, string] => [k, String(v)]))}`)).json() as SpikeList;
    const position = spikes.frame.findIndex((f, i) => f >= 12 && f < stim.n_frames && i > 2);
    const spikeIndex = spikes.spike_index[position]!;
    await page.selectOption('#spike', String(position));
    await settled(page, { spike_index: String(spikeIndex), delay: '5' });

    const row = await rgc.Stimulation.restrict({ subject_name: key.subject_name, sample_number: key.sample_number, session_date: key.session_date, stimulation_index: key.stimulation_index }).fetch1('movie', 'fps', 'stimulus_onset');
    const movie = rgc.prepareMovie(row.movie as NdArray, row.fps, row.stimulus_onset);
    const view = rgc.perSpikeView(movie, spikes.spike_time[position]!, 4);
    const frames = await plotted(page, 'frames-plot');
    expect(frames.map((t) => t.name)).toEqual(['frame', 'average']);
    expect(flatten(frames[0]!.z!)).toEqual(Array.from(view.frame!));
    expect(flatten(frames[1]!.z!)).toEqual(Array.from(view.average!));
    expect(frames[0]!.z).toHaveLength(stim.y_blocks);
    expect(await page.textContent('#spike-title')).toContain(`frame ${view.frameIndex}`);

    const raster = await plotted(page, 'raster-plot');
    expect(raster.find((t) => t.name === 'spikes')!.x).toEqual(spikes.spike_time);
    expect(raster.find((t) => t.name === 'chosen spike')!.x).toEqual([spikes.spike_time[position]]);

    const stored = await rgc.SpikeTriggeredAverage.restrict({ ...key, n_lags: 10 }).fetch1();
    const baseline = movie.mean;
    const map = await plotted(page, 'sta-map-plot');
    expect(rounded(flatten(map[0]!.z!, baseline))).toEqual(rounded(columnMajor(stored.spatial_map)));
    const kernel = (await plotted(page, 'sta-kernel-plot')).find((t) => t.name === 'temporal kernel')!;
    expect(rounded(kernel.y!.map((v) => v + baseline))).toEqual(rounded(columnMajor(stored.temporal_kernel)));
    expect(kernel.x).toEqual(Array.from({ length: 10 }, (_, k) => 0 - (k * 1000) / stim.fps));
    expect((await plotted(page, 'sta-montage-plot')).map((t) => t.name)).toEqual(Array.from({ length: 10 }, (_, k) => `lag ${k}`));
    const mapTrace = map[0]!.z!.flat();
    expect(Math.max(...mapTrace.map(Math.abs))).toBeCloseTo(Math.abs(stored.peak_value! - baseline), 12);
    expect(await page.textContent('#sta-summary')).toContain(`${stored.n_used} spikes used`);
    await page.waitForFunction(() => (document.getElementById('erd') as { naturalWidth: number }).naturalWidth > 0);
    expect(await page.textContent('#state')).toContain('Error: the movie could not be read');
    await page.locator('#spike-section').scrollIntoViewIfNeeded();
    await shot('2-chosen');
    if (README_SCREENSHOT && dialect.name === 'sqlite') {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.setViewportSize({ width: 1440, height: 1900 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: README_SCREENSHOT, fullPage: false });
      await page.setViewportSize({ width: 1440, height: 900 });
    }

    // Every plot has Plotly's toolbar, with "save as PNG".
    const plots = await page.$$eval('.js-plotly-plot', (nodes) => nodes.map((n) => ({ id: n.id, modebar: n.querySelector('.modebar') !== null, png: n.querySelector('[data-title="Download plot as a PNG"]') !== null })));
    expect(plots.map((p) => p.id).sort()).toEqual(['frames-plot', 'population-plot', 'raster-plot', 'sta-kernel-plot', 'sta-map-plot', 'sta-montage-plot']);
    expect(plots.every((p) => p.modebar && p.png)).toBe(true);
  });

  it('changes the delay, explains a bad one next to the input, and steps back through the history', async () => {
    const before = params(page);
    const spikes = await (await fetch(`${base}/api/spikes?${new URLSearchParams({ subject_name: before.subject_name!, sample_number: before.sample_number!, session_date: before.session_date!, stimulation_index: before.stimulation_index!, neuron_index: before.neuron_index! })}`)).json() as SpikeList;
    const position = spikes.spike_index.indexOf(Number(before.spike_index));
    const frame = spikes.frame[position]!;
    const row = await rgc.Stimulation.restrict({ subject_name: before.subject_name!, sample_number: Number(before.sample_number), session_date: before.session_date!, stimulation_index: Number(before.stimulation_index) }).fetch1('movie', 'fps', 'stimulus_onset');
    const movie = rgc.prepareMovie(row.movie as NdArray, row.fps, row.stimulus_onset);

    await page.fill('#delay', '3');
    await page.press('#delay', 'Enter');
    await settled(page, { delay: '3' });
    const frames = await plotted(page, 'frames-plot');
    expect(flatten(frames[1]!.z!)).toEqual(Array.from(rgc.perSpikeView(movie, spikes.spike_time[position]!, 2).average!));
    expect(await page.textContent('#delay-error')).toBe('');

    await page.fill('#delay', '0');
    await page.press('#delay', 'Enter');
    expect(await page.textContent('#delay-error')).toBe(`Frames to average must be a whole number from 1 to ${frame + 1}; "0" is not.`);
    expect(await page.getAttribute('#delay', 'aria-invalid')).toBe('true');
    await page.fill('#delay', String(frame + 2));
    await page.press('#delay', 'Enter');
    expect(await page.textContent('#delay-error')).toBe(`At most ${frame + 1}: this spike fell in frame ${frame}, so only frames 0–${frame} had been shown.`);
    expect(params(page).delay).toBe('3');
    await shot('3-bad-delay');

    // A spike before the stimulus onset: a sentence with its times instead of a blank plot.
    const early = spikes.frame.findIndex((f) => f < 0);
    if (early >= 0) {
      await page.selectOption('#spike', String(early));
      await settled(page, { spike_index: String(spikes.spike_index[early]) });
      const message = await page.textContent('#spike-message');
      expect(message).toMatch(/^This spike, at [\d.]+ s, came [\d.]+ s before the stimulus onset \([\d.]+ s\): no frame was on screen yet\.$/);
      expect(await page.textContent('#frames-plot')).toBe(message);
      await page.goBack();
      await settled(page, { spike_index: before.spike_index!, delay: '3' });
    }

    await page.goBack();
    await settled(page, { spike_index: before.spike_index!, delay: '5' });
    expect(await page.inputValue('#delay')).toBe('5');
    expect(flatten((await plotted(page, 'frames-plot'))[1]!.z!)).toEqual(Array.from(rgc.perSpikeView(movie, spikes.spike_time[position]!, 4).average!));
    await page.goBack();
    await settled(page, { neuron_index: before.neuron_index! });
    expect(params(page).spike_index).not.toBe(before.spike_index);
    await page.goForward();
    await settled(page, { spike_index: before.spike_index!, delay: '5' });
  });

  it('links each neuron of the population to its view, and a copied link reproduces the view', async () => {
    const before = params(page);
    const links = await page.$$eval('#population-links a', (as) => as.map((a) => ({ neuron: a.getAttribute('data-neuron'), href: a.getAttribute('href'), current: a.getAttribute('aria-current') })));
    expect(links.find((l) => l.current === 'true')!.neuron).toBe(before.neuron_index);
    const other = links.find((l) => l.neuron !== before.neuron_index)!;
    await page.click(`#population-links a[data-neuron="${other.neuron}"]`);
    await settled(page, { neuron_index: other.neuron! });
    const population = await plotted(page, 'population-plot');
    expect(population.length).toBeGreaterThan(1);
    expect(population.every((t) => t.type === 'heatmap')).toBe(true);

    const link = page.url();
    const fresh = await browser.context.newPage();
    try {
      await fresh.goto(link);
      await fresh.waitForSelector('body[data-state="ready"]');
      expect(fresh.url()).toBe(link);
      expect(await plotted(fresh, 'frames-plot')).toEqual(await plotted(page, 'frames-plot'));
    } finally {
      await fresh.close();
    }
  });

  it('made no request that left this server, and logged no error', () => {
    expect(requests.length).toBeGreaterThan(20);
    expect(requests.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
    expect(problems).toEqual([]);
  });
});

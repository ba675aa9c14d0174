/**
 * Loads a manifest and populates the pipeline through the library API.
 *
 *   npx rg-pipeline synth rg-demo        # a small synthetic dataset, as examples/manifest.json expects
 *   npx tsx examples/load-and-populate.ts examples/manifest.json
 */
import { Connection, loadManifest, pipeline, readManifest, Session, SpikeTriggeredAverage, Stimulation } from 'rg-schema';

const manifest = process.argv[2] ?? 'examples/manifest.json';
const summary = await loadManifest(await readManifest(manifest), { display: true });
for (const source of summary.sources) console.log(`${source.status}: ${source.source}${source.message ? ` — ${source.message}` : ''}`);
console.log(`${summary.sessions} sessions, ${summary.stimulations} stimulations, ${summary.neurons} neurons, ${summary.spikes} spikes`);

const { successCount, errors } = await SpikeTriggeredAverage.populate({ display: true, suppressErrors: true });
console.log(`STAs computed: ${successCount}, failed: ${errors.length}`);
console.log(await Session.restrict(Stimulation).count(), 'sessions with stimulations on', pipeline.connection.display);
await Connection.closeAll();

/**
 * A user's own analysis on top of the pipeline: a Lookup of parameters and a Computed table that
 * depends on the pipeline's Neuron, declared in a schema of its own.
 *
 *   npx rg-pipeline demo && npx tsx examples/bursts.ts
 */
import { Computed, Connection, Lookup, Neuron, Schema, Spike } from 'rg-schema';

// `context` lets definitions name tables of other schemas, as DataJoint's dj.Schema(name, locals()).
const schema = new Schema('my_analysis', { context: { Neuron } });

interface BurstParamsRow { burst_params_id: number; max_isi: number }
@schema
export class BurstParams extends Lookup<BurstParamsRow> {
  static override definition = `
    burst_params_id: smallint unsigned
    ---
    max_isi: float          # seconds
  `;
  static override contents = [{ burst_params_id: 1, max_isi: 0.01 }, { burst_params_id: 2, max_isi: 0.05 }];
}

@schema
export class Bursts extends Computed {
  static override definition = `
    -> Neuron
    -> BurstParams
    ---
    n_bursts: int             # runs of two or more spikes closer than max_isi
  `;

  async make(key: Record<string, unknown>): Promise<void> {
    const { max_isi } = await BurstParams.restrict({ burst_params_id: key.burst_params_id as number }).fetch1();
    const neuronKey = Object.fromEntries(['subject_name', 'sample_number', 'session_date', 'stimulation_index', 'neuron_index'].map((k) => [k, key[k]]));
    const times = (await Spike.restrict(neuronKey as never).orderBy('spike_time').fetch('spike_time')).map((r) => r.spike_time);
    let bursts = 0;
    let inBurst = false;
    for (let i = 1; i < times.length; i++) {
      const close = times[i]! - times[i - 1]! < max_isi;
      if (close && !inBurst) bursts++;
      inBurst = close;
    }
    await this.insert1({ ...key, n_bursts: bursts });
  }
}

const result = await Bursts.populate({ display: true });
console.log(`Bursts: ${result.successCount} keys populated`);
console.log(await Bursts.restrict({ burst_params_id: 2 }).orderBy('n_bursts DESC').limit(3).fetch('neuron_index', 'n_bursts'));
await Connection.closeAll();

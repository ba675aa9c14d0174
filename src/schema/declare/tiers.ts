/** The five DataJoint table tiers. */
export type Tier = 'manual' | 'lookup' | 'imported' | 'computed' | 'part';

/** The prefix DataJoint puts before a table's snake_case name, by tier. */
export const TIER_PREFIX: Readonly<Record<Exclude<Tier, 'part'>, string>> = {
  manual: '',
  lookup: '#',
  imported: '_',
  computed: '__',
};

/** Imported and Computed tables are filled by populate(). */
export function isAutoPopulated(tier: Tier): boolean {
  return tier === 'imported' || tier === 'computed';
}

/**
 * DataJoint's camel-to-snake rule: every capital letter after the first gets an underscore.
 *
 * @example
 * ```ts
 * snakeCase('SpikeTriggeredAverage'); // 'spike_triggered_average'
 * snakeCase('STAParams');             // 's_t_a_params'
 * ```
 */
export function snakeCase(className: string): string {
  return className.replace(/[A-Z]/g, (c, offset: number) => (offset === 0 ? '' : '_') + c.toLowerCase());
}

/** The inverse, used when a table is read back from a catalog: `spike_group` → `SpikeGroup`. */
export function camelCase(tableName: string): string {
  return tableName
    .replace(/^[#_~]+/, '')
    .split('_')
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The table's name in the database, as DataJoint names it.
 *
 * @example
 * ```ts
 * tableNameFor('computed', 'SpikeTriggeredAverage'); // '__spike_triggered_average'
 * tableNameFor('part', 'Unit', '_spike_sorting');    // '_spike_sorting__unit'
 * ```
 */
export function tableNameFor(tier: Tier, className: string, masterTableName?: string): string {
  if (tier === 'part') return `${masterTableName ?? ''}__${snakeCase(className)}`;
  return TIER_PREFIX[tier] + snakeCase(className);
}

/** Reads a tier back from a table name found in a catalog. */
export function tierOfTableName(tableName: string): Tier {
  const bare = tableName.replace(/^[#_]+/, '');
  if (bare.includes('__')) return 'part';
  if (tableName.startsWith('__')) return 'computed';
  if (tableName.startsWith('_')) return 'imported';
  if (tableName.startsWith('#')) return 'lookup';
  return 'manual';
}

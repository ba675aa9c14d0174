import { Computed, Imported, Lookup, Manual, Part, type Schema } from '../../src/index.js';
import { fixtureDefinitions, type Generation } from '../setup/datajoint-fixtures.js';

const TIERS = { Manual, Lookup, Imported, Computed } as const;

/**
 * Declares the classes DataJoint declared the fixture with (definitions.json), Parts nested in
 * their masters, as a user who copies a DataJoint pipeline would write them.
 */
export function declareFixtureClasses(schema: Schema, generation: Generation): Record<string, Function> {
  const definitions = fixtureDefinitions(generation);
  const classes: Record<string, Function> = {};
  for (const [name, [tier, definition]] of Object.entries(definitions)) {
    if (name.includes('.')) continue;
    const base = TIERS[tier as keyof typeof TIERS];
    const cls = { [name]: class extends (base as typeof Manual) { static override definition = definition; async make(): Promise<void> {} } }[name]!;
    for (const [partName, [, partDefinition]] of Object.entries(definitions).filter(([n]) => n.startsWith(`${name}.`))) {
      Object.defineProperty(cls, partName.split('.')[1]!, { value: class extends Part { static override definition = partDefinition; }, enumerable: true });
    }
    schema.declare(cls);
    classes[name] = cls;
  }
  return classes;
}

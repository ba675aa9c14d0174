import type { Attribute, Heading } from '../definition/heading.js';

/** The typed arrays numeric columns come back in. */
export type NumberColumn = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * One attribute's values as a column: a typed array for a numeric attribute that cannot be NULL
 * (as DataJoint's `to_arrays` gives numpy arrays), an array otherwise.
 */
export type ColumnOf<V> = [V] extends [number] ? NumberColumn | number[] : [V] extends [bigint] ? BigInt64Array | BigUint64Array | bigint[] : V[];

/** A query's rows as one array per attribute (`fetch({ format: 'columns' })`). */
export type Columns<Row> = { [K in keyof Row]-?: ColumnOf<Row[K]> };

type TypedArrayClass = new (length: number) => { [i: number]: number | bigint; length: number };

/** The typed array an attribute's values fit exactly, or undefined when they need a plain array. */
function typedArrayFor(attribute: Attribute): TypedArrayClass | undefined {
  if (attribute.nullable) return undefined;
  const { category, intBytes = 4, unsigned, mysql } = attribute.type;
  if (category === 'float') return mysql.startsWith('float') ? Float32Array : Float64Array;
  if (category !== 'integer') return undefined;
  switch (intBytes) {
    case 1: return unsigned ? Uint8Array : Int8Array;
    case 2: return unsigned ? Uint16Array : Int16Array;
    case 8: return (unsigned ? BigUint64Array : BigInt64Array) as unknown as TypedArrayClass;
    default: return unsigned ? Uint32Array : Int32Array;
  }
}

/**
 * Turns decoded rows into columns. Integers go into the typed array of their width (64-bit ones
 * into BigInt64Array/BigUint64Array), `float`/`float32` into Float32Array and `double`/`float64`
 * into Float64Array; a column that still meets a NULL (from an outer join) stays an array.
 *
 * @example
 * ```ts
 * toColumns(Neuron.heading, await Neuron.fetch());
 * // { subject_name: ['a', 'a'], neuron_id: Int32Array [1, 2], … }
 * ```
 */
export function toColumns(heading: Heading, rows: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const attribute of heading.attributes) {
    const name = attribute.name;
    const Typed = typedArrayFor(attribute);
    if (Typed !== undefined && rows.every((r) => r[name] !== null && r[name] !== undefined)) {
      const column = new Typed(rows.length);
      for (let i = 0; i < rows.length; i++) column[i] = rows[i]![name] as number | bigint;
      columns[name] = column;
    } else {
      columns[name] = rows.map((r) => r[name]);
    }
  }
  return columns;
}

import type { AttributeType } from './types.js';

/** A column default: NULL, CURRENT_TIMESTAMP, a number, or a string (unquoted here). */
export type DefaultValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'now' }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string };

/** One column of a table, as declared. */
export interface Attribute {
  readonly name: string;
  readonly type: AttributeType;
  readonly inKey: boolean;
  readonly nullable: boolean;
  /** The default, or undefined when a value is required. */
  readonly default: DefaultValue | undefined;
  readonly comment: string;
}

/**
 * The attributes of a table or query, in order, with the primary key first.
 *
 * @example
 * ```ts
 * Session.heading.primaryKey;      // ['subject_name', 'sample_number', 'session_date']
 * Session.heading.get('session_date').type.category;  // 'date'
 * ```
 */
export class Heading {
  readonly attributes: readonly Attribute[];
  readonly #byName: ReadonlyMap<string, Attribute>;

  constructor(attributes: readonly Attribute[]) {
    this.attributes = attributes;
    this.#byName = new Map(attributes.map((a) => [a.name, a]));
  }

  /** Every attribute's name, primary key first, in definition order. */
  get names(): string[] {
    return this.attributes.map((a) => a.name);
  }

  /** The primary-key attributes' names. */
  get primaryKey(): string[] {
    return this.attributes.filter((a) => a.inKey).map((a) => a.name);
  }

  /** The attributes after `---`. */
  get secondary(): string[] {
    return this.attributes.filter((a) => !a.inKey).map((a) => a.name);
  }

  /** The attributes that hold blobs or raw bytes (decoded lazily on fetch). */
  get blobs(): string[] {
    return this.attributes.filter((a) => a.type.category === 'blob' || a.type.category === 'bytes').map((a) => a.name);
  }

  /** True when the heading has an attribute of that name. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The attribute of that name, or undefined. */
  find(name: string): Attribute | undefined {
    return this.#byName.get(name);
  }

  /** The attribute, or throws: callers validate names before asking. */
  get(name: string): Attribute {
    const attribute = this.#byName.get(name);
    if (!attribute) throw new Error(`internal: attribute ${name} is not in the heading`);
    return attribute;
  }

  /** A new heading with only the named attributes (key attributes keep their key status). */
  select(names: readonly string[]): Heading {
    return new Heading(names.map((n) => this.get(n)));
  }
}

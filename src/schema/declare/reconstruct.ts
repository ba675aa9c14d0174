import type { CatalogAttribute, CatalogForeignKey, CatalogTable } from './catalog.js';

/**
 * DataJoint hides attributes whose names start with an underscore (job metadata and the like).
 *
 * @example
 * ```ts
 * isHiddenAttribute('_job_start_time'); // true
 * ```
 */
export const isHiddenAttribute = (name: string): boolean => name.startsWith('_');

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Writes a table the database holds back as a DataJoint definition, in the spelling its columns
 * carry (DataJoint 2's `:type:` markers restored, plain SQL types otherwise): foreign keys as
 * `-> Parent` lines where their attributes sit (`[nullable]`, `[unique]`, `.proj(new='old')`),
 * defaults, comments, then indexes. `parentName` says how to refer to a foreign key's parent
 * (`Probe`, `Recording.Channel`, `master`, `other_db.Subject`). Hidden attributes are left out.
 *
 * @example
 * ```ts
 * definitionFromCatalog(session, (fk) => classOf(fk.parentTable));
 * // # a recording session
 * // -> Subject
 * // session_idx : int16
 * // ---
 * // started : datetime
 * // -> [nullable] Probe
 * // -> Probe.proj(backup_probe='probe')
 * // notes = '' : varchar(255)
 * ```
 */
export function definitionFromCatalog(table: CatalogTable, parentName: (fk: CatalogForeignKey) => string): string {
  const attributes = table.attributes.filter((a) => !isHiddenAttribute(a.name));
  const uniqueIndexes = table.indexes.filter((i) => i.unique);
  const absorbed = new Set<(typeof table.indexes)[number]>();
  const emitted = new Set<string>();
  const done = new Set<CatalogForeignKey>();
  const sections: { key: string[]; rest: string[] } = { key: [], rest: [] };
  const fkLine = (fk: CatalogForeignKey, nullable: boolean): string => {
    const unique = uniqueIndexes.find((i) => !absorbed.has(i) && i.attributes.join(',') === fk.attributes.join(','));
    if (unique) absorbed.add(unique);
    const options = [nullable ? 'nullable' : '', unique ? 'unique' : ''].filter((o) => o !== '');
    const renames = fk.attributes.map((a, i) => [a, fk.parentAttributes[i] ?? a] as const).filter(([a, p]) => a !== p);
    const proj = renames.length > 0 ? `.proj(${renames.map(([a, p]) => `${a}='${p}'`).join(', ')})` : '';
    return `-> ${options.length > 0 ? `[${options.join(', ')}] ` : ''}${parentName(fk)}${proj}`;
  };
  attributes.forEach((attribute, index) => {
    if (emitted.has(attribute.name)) return;
    const section = attribute.inKey ? sections.key : sections.rest;
    const fk = bestForeignKey(table.foreignKeys.filter((f) => !done.has(f)), attributes, index, emitted);
    if (fk) {
      const added = fk.attributes.filter((a) => !emitted.has(a));
      section.push(fkLine(fk, added.some((a) => attributes.find((c) => c.name === a)?.nullable)));
      done.add(fk);
      added.forEach((a) => emitted.add(a));
      return;
    }
    section.push(attributeLine(attribute));
    emitted.add(attribute.name);
  });
  // Foreign keys that add no attribute of their own (their attributes came with other lines).
  for (const fk of table.foreignKeys.filter((f) => !done.has(f))) {
    const inKey = fk.attributes.every((a) => attributes.find((c) => c.name === a)?.inKey);
    (inKey ? sections.key : sections.rest).push(fkLine(fk, false));
  }
  const lines = [
    ...(table.comment ? [`# ${table.comment}`] : []),
    ...sections.key,
    ...(sections.rest.length > 0 ? ['---', ...sections.rest] : []),
    ...table.indexes.filter((i) => !absorbed.has(i)).map((i) => `${i.unique ? 'unique ' : ''}index(${i.attributes.join(', ')})`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The foreign key that declared the attribute at `index`: its attributes not yet written must be
 * exactly the next columns, in the parent's key order (DataJoint adds them where the `->` line is).
 * When several fit, the one adding most columns wins.
 */
function bestForeignKey(candidates: readonly CatalogForeignKey[], attributes: readonly CatalogAttribute[], index: number, emitted: ReadonlySet<string>): CatalogForeignKey | undefined {
  const start = attributes[index];
  if (!start) return undefined;
  let best: { fk: CatalogForeignKey; added: number } | undefined;
  for (const fk of candidates) {
    if (!fk.attributes.includes(start.name)) continue;
    const added = fk.attributes.filter((a) => !emitted.has(a));
    const fits = added.every((a, i) => attributes[index + i]?.name === a && attributes[index + i]?.inKey === start.inKey);
    if (fits && (!best || added.length > best.added)) best = { fk, added: added.length };
  }
  return best?.fk;
}

function quoteDefault(text: string): string {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return JSON.stringify(text);
}

/**
 * `name = default : type  # comment`, as DataJoint's describe() writes an attribute.
 *
 * @example
 * ```ts
 * attributeLine(subject.attributes[2]); // "sex = 'U' : enum('M','F','U')  # sex"
 * ```
 */
export function attributeLine(attribute: CatalogAttribute): string {
  const d = attribute.default;
  const dflt = attribute.nullable ? 'null'
    : d === undefined ? ''
    : d.kind === 'null' ? 'null'
    : d.kind === 'now' ? 'CURRENT_TIMESTAMP'
    : d.kind === 'number' ? d.text
    : quoteDefault(d.text);
  const head = dflt === '' ? attribute.name : `${attribute.name} = ${dflt}`;
  return `${head} : ${attribute.typeText}${attribute.comment ? `  # ${attribute.comment}` : ''}`;
}

/**
 * Why a catalog table cannot be written as a definition, or undefined when it can.
 *
 * @example
 * ```ts
 * unwritableReason(tableWithColumn('Weight')); // 'attribute "Weight" is not a DataJoint attribute name (…)'
 * ```
 */
export function unwritableReason(table: CatalogTable): string | undefined {
  const bad = table.attributes.find((a) => !isHiddenAttribute(a.name) && !NAME.test(a.name));
  if (bad) return `attribute "${bad.name}" is not a DataJoint attribute name (lower case letters, digits, underscores)`;
  if (!table.attributes.some((a) => a.inKey)) return 'it has no primary key';
  return undefined;
}

import { DefinitionError } from '../../errors.js';

/** One attribute line: `name = default : type  # comment`. */
export interface AttributeLine {
  readonly kind: 'attribute';
  readonly line: number;
  readonly text: string;
  readonly inKey: boolean;
  readonly name: string;
  readonly type: string;
  /** The default as written (quotes kept), or undefined when there is none. */
  readonly default: string | undefined;
  readonly comment: string;
}

/** One dependency line: `-> [nullable, unique] Parent.proj(new='old')`. */
export interface ForeignKeyLine {
  readonly kind: 'foreignKey';
  readonly line: number;
  readonly text: string;
  readonly inKey: boolean;
  /** The referenced name as written: `Parent`, `other.Parent`, or `master`. */
  readonly ref: string;
  readonly nullable: boolean;
  readonly unique: boolean;
  /** new name → parent's name, from `.proj(new='old')`. */
  readonly renames: Readonly<Record<string, string>>;
}

/** `index(a, b)` or `unique index(a)`. */
export interface IndexLine {
  readonly kind: 'index';
  readonly line: number;
  readonly text: string;
  readonly unique: boolean;
  readonly attributes: readonly string[];
}

/** One parsed line of a definition: an attribute, a dependency, or an index. */
export type DefinitionLine = AttributeLine | ForeignKeyLine | IndexLine;

/** A definition string parsed into lines, each with its line number. */
export interface ParsedDefinition {
  readonly comment: string;
  readonly lines: readonly DefinitionLine[];
}

const NAME = /^[a-z][a-z0-9_]*$/;
const REF = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const FK_OPTIONS = new Set(['nullable', 'unique']);

/**
 * Parses a DataJoint table definition. Line numbers count from the first line of the string as
 * written, so a template literal that opens with a newline reports the lines a reader sees.
 *
 * @example
 * ```ts
 * parseDefinition('Session', `
 *   # a recording session
 *   -> Subject
 *   session_date: date
 *   ---
 *   notes = '' : varchar(255)
 * `);
 * ```
 */
export function parseDefinition(table: string, definition: string): ParsedDefinition {
  const rawLines = definition.split(/\r?\n/);
  const lines: DefinitionLine[] = [];
  let comment = '';
  let inKey = true;
  let sawContent = false;
  let sawDivider = false;
  rawLines.forEach((raw, index) => {
    const text = raw.trim();
    const line = index + 1;
    if (text === '') return;
    if (text.startsWith('#')) {
      if (!sawContent) comment = text.slice(1).trim();
      sawContent = true;
      return;
    }
    sawContent = true;
    if (/^(---+|___+)$/.test(text)) {
      if (sawDivider) {
        throw new DefinitionError({ table, line, text }, 'A second divider.', 'keep a single `---` between the primary key and the secondary attributes.');
      }
      sawDivider = true;
      inKey = false;
      return;
    }
    if (isForeignKey(text)) lines.push(parseForeignKey(table, line, text, inKey));
    else if (/^(unique\s+)?index\b/i.test(text)) lines.push(parseIndex(table, line, text));
    else lines.push(parseAttribute(table, line, text, inKey));
  });
  if (comment.startsWith(':')) {
    throw new DefinitionError({ table, line: 1 }, 'A table comment must not start with a colon.', 'remove the leading ":" from the comment.');
  }
  return { comment, lines };
}

function isForeignKey(text: string): boolean {
  const arrow = text.indexOf('->');
  return arrow >= 0 && !/["'#]/.test(text.slice(0, arrow));
}

function parseForeignKey(table: string, line: number, text: string, inKey: boolean): ForeignKeyLine {
  const where = { table, line, text };
  const match = /^->\s*(?:\[([^\]]*)\])?\s*([A-Za-z_][\w.]*?)(?:\.proj\((.*)\))?\s*(?:#.*)?$/.exec(text);
  if (!match || !REF.test(match[2] ?? '')) {
    throw new DefinitionError(where, 'This dependency line cannot be parsed.', 'write it as `-> Parent`, `-> [nullable] Parent` or `-> Parent.proj(new_name="old_name")`.');
  }
  const options = (match[1] ?? '').split(',').map((o) => o.trim().toLowerCase()).filter((o) => o !== '');
  for (const option of options) {
    if (!FK_OPTIONS.has(option)) {
      throw new DefinitionError(where, `Unknown dependency option "${option}".`, 'use [nullable], [unique] or both.');
    }
  }
  const nullable = options.includes('nullable');
  if (nullable && inKey) {
    throw new DefinitionError(where, 'A dependency in the primary key cannot be nullable.', 'move the line below `---`, or drop [nullable].');
  }
  return {
    kind: 'foreignKey', line, text, inKey,
    ref: match[2] ?? '',
    nullable,
    unique: options.includes('unique'),
    renames: match[3] === undefined ? {} : parseRenames(where, match[3]),
  };
}

function parseRenames(where: { table: string; line: number; text: string }, args: string): Record<string, string> {
  const renames: Record<string, string> = {};
  for (const part of args.split(',').map((a) => a.trim()).filter((a) => a !== '')) {
    const match = /^([a-z][a-z0-9_]*)\s*=\s*(["'])([a-z][a-z0-9_]*)\2$/.exec(part);
    if (!match) {
      throw new DefinitionError(where, `Cannot read the projection "${part}".`, "rename attributes as .proj(new_name='parent_name').");
    }
    const [, newName, , oldName] = match;
    if (newName === undefined || oldName === undefined) continue;
    if (newName in renames) {
      throw new DefinitionError(where, `"${newName}" is renamed twice.`, 'give each new name once.');
    }
    renames[newName] = oldName;
  }
  return renames;
}

function parseIndex(table: string, line: number, text: string): IndexLine {
  const match = /^(unique\s+)?index\s*\(([^)]*)\)\s*(?:#.*)?$/i.exec(text);
  const attributes = (match?.[2] ?? '').split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (!match || attributes.length === 0 || !attributes.every((a) => NAME.test(a))) {
    throw new DefinitionError({ table, line, text }, 'This index line cannot be parsed.', 'write `index(a, b)` or `unique index(a)` with attribute names.');
  }
  return { kind: 'index', line, text, unique: match[1] !== undefined, attributes };
}

/** Splits at the first `stop` character that is outside quotes and angle brackets. */
function splitOutside(text: string, stop: string): [string, string | undefined] {
  let quote: string | undefined;
  let angle = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      // A backslash is an ordinary character here, as in DataJoint's parser: the value between
      // the quotes is taken literally (a quote inside is written twice) and escaped per dialect.
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '<') angle++;
    else if (c === '>' && angle > 0) angle--;
    else if (c === stop && angle === 0) return [text.slice(0, i), text.slice(i + 1)];
  }
  return [text, undefined];
}

function parseAttribute(table: string, line: number, text: string, inKey: boolean): AttributeLine {
  const where = { table, line, text };
  const [declaration, commentPart] = splitOutside(text, '#');
  const [head, type] = splitOutside(declaration, ':');
  if (type === undefined || type.trim() === '') {
    throw new DefinitionError(where, 'An attribute needs a type after a colon.', 'write `name : type  # comment`, e.g. `session_date : date`.');
  }
  const [rawName, rawDefault] = splitOutside(head, '=');
  const name = rawName.trim();
  if (!NAME.test(name)) {
    throw new DefinitionError(where, `"${name}" is not a valid attribute name.`, 'attribute names are lower case: letters, digits and underscores, starting with a letter.');
  }
  const defaultText = rawDefault?.trim();
  if (rawDefault !== undefined && defaultText === '') {
    throw new DefinitionError(where, 'The default value is empty.', "give a value after '=', such as `= 0`, `= NULL` or `= ''`.");
  }
  const comment = (commentPart ?? '').trim();
  if (comment.startsWith(':')) {
    throw new DefinitionError(where, 'An attribute comment must not start with a colon (DataJoint keeps type markers there).', 'remove the leading ":" from the comment.');
  }
  return { kind: 'attribute', line, text, inKey, name, type: type.trim(), default: defaultText, comment };
}

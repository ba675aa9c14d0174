import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TS from 'typescript';
import { RgSchemaError } from '../../errors.js';
import type { Attribute } from '../definition/heading.js';
import { findTableInfo, type TableInfo } from '../declare/table-info.js';
import { attributeTypeText, filledByDatabase, valueTypeText } from './row-interface.js';

/** Options of {@link checkRowTypes}. */
export interface CheckRowTypesOptions {
  /** The module's exports, when it is already imported; otherwise the file is imported. */
  readonly module?: Readonly<Record<string, unknown>>;
  /** The tsconfig.json to compile with; by default the nearest one above the file. */
  readonly tsconfig?: string;
  /**
   * Also report missing `Key<…>`/`Default<…>` marks on interfaces that use none. By default an
   * interface without any mark is checked for names, value types and nullability only (it still
   * works, with `keys()` typed `Partial<Row>`); one that marks anything must mark everything.
   */
  readonly requireMarks?: boolean;
}

/** What the compiler says of one property of a row interface. */
interface DeclaredAttribute {
  readonly type: TS.Type;
  /** Undefined for `unknown` and `any`, which allow null and everything else. */
  readonly nullable: boolean | undefined;
  readonly optional: boolean;
  readonly key: boolean | undefined;
  readonly filled: boolean | undefined;
}

/**
 * Compares the row interface of every table class a module exports (the `Row` of
 * `Manual<Row>`, Parts included) with the table's definition, using the TypeScript compiler, and
 * returns one sentence per difference: an attribute missing or extra, a value type the library
 * never returns for that attribute, `| null` on a nullable attribute, `Key<…>` on the primary key
 * and `Default<…>`/`AutoIncrement<…>` on attributes the database fills. Run it in a test so a row
 * type cannot drift from its definition. Needs the `typescript` package (a dev dependency).
 *
 * @example
 * ```ts
 * import { checkRowTypes } from 'rg-schema';
 * it('row interfaces match the definitions', async () => {
 *   expect(await checkRowTypes('src/tables.ts')).toEqual([]);
 * });
 * // on drift: ['Session.day: the definition says date, so the row has string; SessionRow declares number.']
 * ```
 */
export async function checkRowTypes(file: string, options: CheckRowTypesOptions = {}): Promise<string[]> {
  const ts = await loadTypeScript();
  const absolute = path.resolve(file);
  const exported = options.module ?? ((await import(pathToFileURL(absolute).href)) as Record<string, unknown>);
  const program = createProgram(ts, absolute, options.tsconfig);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(absolute);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!source || !moduleSymbol) throw new RgSchemaError(`checkRowTypes could not compile ${file}; is it a TypeScript module in the tsconfig's reach?`);
  const context: Context = { ts, checker, requireMarks: options.requireMarks ?? false, seen: new Set(), problems: [] };
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const value = exported[symbol.getName()];
    if (typeof value !== 'function' || !findTableInfo(value)) continue;
    checkClass(context, value, checker.getTypeOfSymbolAtLocation(symbol, source));
  }
  return context.problems;
}

interface Context {
  readonly ts: typeof TS;
  readonly checker: TS.TypeChecker;
  readonly requireMarks: boolean;
  /** Classes checked already: a Part exported on its own is also reached through its master. */
  readonly seen: Set<object>;
  readonly problems: string[];
}

function checkClass(context: Context, cls: object, classType: TS.Type): void {
  if (context.seen.has(cls)) return;
  context.seen.add(cls);
  const { checker } = context;
  const info = findTableInfo(cls)!;
  info.schema.resolve();
  const instance = classType.getConstructSignatures()[0]?.getReturnType();
  const rowSymbol = instance && checker.getPropertyOfType(instance, '__row');
  if (rowSymbol) {
    const rowType = checker.getNonNullableType(checker.getTypeOfSymbol(rowSymbol));
    context.problems.push(...compare(context, info, rowType));
  }
  for (const part of info.parts) {
    const partSymbol = checker.getPropertyOfType(classType, part.className.split('.').pop() ?? '');
    if (!partSymbol) continue;
    checkClass(context, part.cls, checker.getTypeOfSymbol(partSymbol));
  }
}

function compare(context: Context, info: TableInfo, rowType: TS.Type): string[] {
  const { ts, checker } = context;
  const heading = info.resolved!.heading;
  const rowName = checker.typeToString(rowType);
  const declared = new Map(checker.getPropertiesOfType(rowType).map((p) => [p.getName(), describe(ts, checker, p)]));
  const usesKeyMarks = [...declared.values()].some((d) => d.key === true);
  const checkMarks = context.requireMarks || [...declared.values()].some((d) => d.key !== undefined);
  const problems: string[] = [];
  const say = (attribute: string, text: string): void => {
    problems.push(`${info.className}.${attribute}: ${text}`);
  };
  for (const attribute of heading.attributes) {
    const found = declared.get(attribute.name);
    if (!found) {
      say(attribute.name, `${rowName} lacks it; declare ${attribute.name}: ${attributeTypeText(attribute)};`);
      continue;
    }
    if (!valueFits(ts, checker, attribute, found.type)) {
      say(attribute.name, `the definition says ${attribute.type.declared}, so the row has ${valueTypeText(attribute)}; ${rowName} declares ${checker.typeToString(found.type)}.`);
    }
    if (found.nullable !== undefined && attribute.nullable !== found.nullable) {
      say(attribute.name, attribute.nullable
        ? `the definition lets it be NULL (default null); declare it \`| null\` in ${rowName}.`
        : `the definition never lets it be NULL; drop \`| null\` from ${rowName}.`);
    }
    if (!checkMarks) continue;
    if (attribute.inKey !== (found.key ?? false)) {
      say(attribute.name, attribute.inKey
        ? `it is in the primary key; mark it Key<…> in ${rowName} so keys() and make(key) know the key${usesKeyMarks ? '' : ' (and mark the other key attributes too)'}.`
        : `it is not in the primary key; remove Key<…> in ${rowName}.`);
    }
    const filled = filledByDatabase(attribute);
    const optional = found.filled === true || found.optional;
    if (filled && !optional) {
      say(attribute.name, `the database fills it (${attribute.type.autoIncrement ? 'auto_increment' : 'a default'}); mark it ${attribute.type.autoIncrement ? 'AutoIncrement' : 'Default'}<…> in ${rowName} so inserts may leave it out.`);
    } else if (!filled && found.filled === true) {
      say(attribute.name, `the definition gives it no default; remove Default<…> in ${rowName}${attribute.nullable ? ' (a nullable attribute is optional on insert anyway)' : ''}.`);
    }
  }
  for (const name of declared.keys()) {
    if (!heading.has(name)) problems.push(`${info.className}: ${rowName} declares ${name}, which the definition does not have.`);
  }
  return problems;
}

function describe(ts: typeof TS, checker: TS.TypeChecker, property: TS.Symbol): DeclaredAttribute {
  const optional = (property.getFlags() & ts.SymbolFlags.Optional) !== 0;
  let type = checker.getTypeOfSymbol(property);
  let key: boolean | undefined;
  let filled: boolean | undefined;
  const mark = checker.getPropertyOfType(checker.getNonNullableType(type), '__rg_attribute__');
  if (mark) {
    const markType = checker.getTypeOfSymbol(mark);
    const part = (name: string): TS.Type | undefined => {
      const symbol = checker.getPropertyOfType(markType, name);
      return symbol && checker.getTypeOfSymbol(symbol);
    };
    type = part('value') ?? type;
    key = checker.typeToString(part('key')!) === 'true';
    filled = checker.typeToString(part('filled')!) === 'true';
  }
  const members = type.isUnion() ? type.types : [type];
  const anything = (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
  const nullable = anything ? undefined : members.some((t) => (t.flags & ts.TypeFlags.Null) !== 0);
  return { type: anything ? type : checker.getNonNullableType(type), nullable, optional, key, filled };
}

/** Whether every value the type allows is a value the library could return for the attribute. */
function valueFits(ts: typeof TS, checker: TS.TypeChecker, attribute: Attribute, type: TS.Type): boolean {
  if ((type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0) return true;
  const members = (type.isUnion() ? type.types : [type]).filter((t) => (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) === 0);
  const all = (flags: TS.TypeFlags): boolean => members.every((t) => (t.flags & flags) !== 0);
  switch (valueTypeText(attribute)) {
    case 'number': return all(ts.TypeFlags.NumberLike);
    case 'bigint': return all(ts.TypeFlags.BigIntLike);
    case 'boolean': return all(ts.TypeFlags.BooleanLike);
    case 'Buffer': return members.every((t) => /^(Buffer|Uint8Array)\b/.test(checker.typeToString(t)));
    case 'Attachment': return members.every((t) => /^Attachment\b/.test(checker.typeToString(t)));
    case 'unknown': return true;
    default: return all(ts.TypeFlags.StringLike);
  }
}

async function loadTypeScript(): Promise<typeof TS> {
  try {
    const loaded = (await import('typescript')) as typeof TS & { default?: typeof TS };
    return loaded.default ?? loaded;
  } catch (error) {
    throw new RgSchemaError('checkRowTypes needs the typescript package: npm install --save-dev typescript', { cause: error });
  }
}

/** The last program per file and tsconfig: a new one reuses what has not changed. */
const programs = new Map<string, TS.Program>();

function createProgram(ts: typeof TS, file: string, tsconfig: string | undefined): TS.Program {
  const configFile = tsconfig ?? ts.findConfigFile(path.dirname(file), (f) => ts.sys.fileExists(f));
  let options: TS.CompilerOptions = { strict: true, experimentalDecorators: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true };
  if (configFile) {
    const read = ts.readConfigFile(configFile, (f) => ts.sys.readFile(f));
    if (read.error) throw new RgSchemaError(`checkRowTypes cannot read ${configFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
    options = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configFile)).options;
  }
  const key = `${file}\n${configFile ?? ''}`;
  const program = ts.createProgram({ rootNames: [file], options: { ...options, noEmit: true }, oldProgram: programs.get(key) });
  programs.set(key, program);
  return program;
}

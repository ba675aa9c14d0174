import 'reflect-metadata';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRowTypes, rowInterface } from '../../src/index.js';
import * as tables from '../fixtures/row-types/tables.js';

const file = path.resolve(import.meta.dirname, '../fixtures/row-types/tables.ts');

describe('checkRowTypes', () => {
  it('finds every way a row interface drifts from its definition, and nothing where it matches', async () => {
    expect(await checkRowTypes(file)).toEqual([
      'Session.session: it is in the primary key; mark it Key<…> in DriftedSessionRow so keys() and make(key) know the key.',
      'Session.day: the definition says date, so the row has string; DriftedSessionRow declares number.',
      'Session.n_trials: the database fills it (a default); mark it Default<…> in DriftedSessionRow so inserts may leave it out.',
      'Session.note: the definition lets it be NULL (default null); declare it `| null` in DriftedSessionRow.',
      'Session: DriftedSessionRow declares colour, which the definition does not have.',
      'Session.Channel.gain: the database fills it (a default); mark it Default<…> in ChannelRow so inserts may leave it out.',
    ]);
  }, 60_000);

  it('uses the module given, and reads Parts', async () => {
    const problems = await checkRowTypes(file, { module: { Session: tables.Session } });
    expect(problems).toHaveLength(6);
    expect(problems.filter((p) => p.startsWith('Session.Channel.'))).toHaveLength(1);
    expect(await checkRowTypes(file, { module: { Subject: tables.Subject, Note: tables.Note } })).toEqual([]);
  }, 60_000);

  it('checks an interface without marks for names, types and nullability, and its marks on request', async () => {
    expect(await checkRowTypes(file, { module: { Legacy: tables.Legacy } })).toEqual([]);
    expect(await checkRowTypes(file, { module: { Legacy: tables.Legacy }, requireMarks: true })).toEqual([
      'Legacy.id: it is in the primary key; mark it Key<…> in LegacyRow so keys() and make(key) know the key (and mark the other key attributes too).',
      'Legacy.label: the database fills it (a default); mark it Default<…> in LegacyRow so inserts may leave it out.',
    ]);
  }, 60_000);

  it('finds the RGC pipeline\'s row interfaces true to their definitions', async () => {
    expect(await checkRowTypes(path.resolve(import.meta.dirname, '../../src/pipeline.ts'))).toEqual([]);
  }, 60_000);

  it('writes the interface that matches a definition', () => {
    tables.schema.resolve();
    expect(rowInterface(tables.Session)).toBe([
      'interface SessionRow {',
      '  subject_name: Key<string>;',
      '  session: Key<number>;',
      '  day: string;',
      '  n_trials: Default<number>;',
      '  note: string | null;',
      '}',
    ].join('\n'));
    expect(rowInterface(tables.Note, 'NoteRow')).toBe('interface NoteRow {\n  note_id: Key<AutoIncrement<number>>;\n  text: string;\n  raw: Buffer;\n  big: bigint;\n  extra: unknown;\n}');
    expect(rowInterface(tables.Subject)).toContain(`sex: "F" | "M" | "U";`);
  });
});

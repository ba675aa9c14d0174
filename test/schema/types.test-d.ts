import { describe, expectTypeOf, it } from 'vitest';
import { Manual, Schema, sql, type Query } from '../../src/index.js';

const schema = new Schema('rgt_types', { connection: 'sqlite::memory:' });

interface SubjectRow { subject_name: string; species: string }
interface SessionRow { subject_name: string; session_date: string; n_trials: number }

@schema class Subject extends Manual<SubjectRow> {
  static override definition = 'subject_name: varchar(64)\n---\nspecies: varchar(32)';
}
@schema class Session extends Manual<SessionRow> {
  static override definition = '-> Subject\nsession_date: date\n---\nn_trials: int';
}

describe('typed rows', () => {
  it('fetch returns the row type', () => {
    expectTypeOf(Subject.fetch()).resolves.toEqualTypeOf<SubjectRow[]>();
    expectTypeOf(Session.fetch1()).resolves.toEqualTypeOf<SessionRow>();
    expectTypeOf(Session.fetch('n_trials')).resolves.toEqualTypeOf<Array<Pick<SessionRow, 'n_trials'>>>();
  });

  it('restriction objects are checked against the row type', () => {
    expectTypeOf(Subject.restrict({ species: 'mouse' })).toEqualTypeOf<Query<SubjectRow>>();
    // @ts-expect-error misspelled attribute
    Subject.restrict({ specie: 'mouse' });
    // @ts-expect-error wrong value type
    Session.restrict({ n_trials: 'many' });
    // @ts-expect-error fetch of an unknown attribute
    void Session.fetch('nope');
  });

  it('join and proj results are typed', () => {
    expectTypeOf(Session.join(Subject).fetch()).resolves.toEqualTypeOf<Array<SessionRow & SubjectRow>>();
    const renamed = Session.proj('n_trials', { day: 'session_date' });
    expectTypeOf(renamed.fetch1()).resolves.toMatchTypeOf<{ n_trials: number; day: string; subject_name?: string }>();
    expectTypeOf(renamed.fetch1()).resolves.not.toMatchTypeOf<{ day: number }>();
    // @ts-expect-error proj of an unknown attribute
    Session.proj('nope');
    const computed = Session.proj({ double: sql`n_trials * 2` });
    expectTypeOf(computed.fetch1()).resolves.toMatchTypeOf<{ double: unknown }>();
  });

  it('insert takes the row type', () => {
    expectTypeOf(Subject.insert1({ subject_name: 'a', species: 'b' })).resolves.toEqualTypeOf<number>();
    // @ts-expect-error missing species
    void Subject.insert1({ subject_name: 'a' });
  });
});

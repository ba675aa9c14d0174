import { describe, expectTypeOf, it } from 'vitest';
import {
  Computed, Manual, Schema, U, sql, top,
  type AutoIncrement, type Default, type InsertRowOf, type Insertable, type Key, type KeyOf, type NumberColumn, type Query, type RowOf,
} from '../../src/index.js';

const schema = new Schema('rgt_row_types', { connection: 'sqlite::memory:' });

interface SubjectRow { subject_name: Key<string>; species: Default<string>; weight: number | null }
interface SessionRow { subject_name: Key<string>; session: Key<number>; day: string; good: Default<boolean>; big: Default<bigint> }
interface NoteRow { note_id: Key<AutoIncrement<number>>; text: string }
interface PlainRow { id: number; name: string }
interface ResultRow { subject_name: Key<string>; session: Key<number>; n_days: number }

@schema class Subject extends Manual<SubjectRow> {
  static override definition = 'subject_name: varchar(64)\n---\nspecies = \'mouse\' : varchar(32)\nweight = null : float';
}
@schema class Session extends Manual<SessionRow> {
  static override definition = '-> Subject\nsession: int\n---\nday: date\ngood = 1 : bool\nbig = 0 : bigint';
}
@schema class Note extends Manual<NoteRow> {
  static override definition = 'note_id: int auto_increment\n---\ntext: varchar(255)';
}
@schema class Plain extends Manual<PlainRow> {
  static override definition = 'id: int\n---\nname: varchar(8)';
}
@schema class Result extends Computed<ResultRow> {
  static override definition = '-> Session\n---\nn_days: int';
  override async make(key: KeyOf<typeof Result>): Promise<void> {
    expectTypeOf(key).toEqualTypeOf<{ subject_name: string; session: number }>();
    await this.insert1({ ...key, n_days: 1 });
    // @ts-expect-error n_days is required
    await this.insert1({ ...key });
  }
}

describe('insert and fetch rows differ as in Kysely', () => {
  it('fetches unmarked values', () => {
    expectTypeOf(Subject.fetch()).resolves.toEqualTypeOf<Array<{ subject_name: string; species: string; weight: number | null }>>();
    expectTypeOf<RowOf<typeof Session>>().toEqualTypeOf<{ subject_name: string; session: number; day: string; good: boolean; big: bigint }>();
    expectTypeOf<RowOf<typeof Plain>>().toEqualTypeOf<PlainRow>();
  });

  it('makes attributes with a default, nullable ones and auto_increment optional on insert', () => {
    expectTypeOf<InsertRowOf<typeof Subject>>().toEqualTypeOf<{ subject_name: string; species?: string; weight?: number | null }>();
    expectTypeOf<Insertable<NoteRow>>().toEqualTypeOf<{ note_id?: number; text: string }>();
    void Subject.insert1({ subject_name: 'a' });
    void Subject.insert([{ subject_name: 'a', weight: null }, { subject_name: 'b', species: 'rat' }]);
    void Note.insert1({ text: 'hello' });
    void Session.insert1({ subject_name: 'a', session: 1, day: '2020-01-01' });
    // @ts-expect-error day has no default
    void Session.insert1({ subject_name: 'a', session: 1 });
    // @ts-expect-error the key is required
    void Subject.insert1({ species: 'rat' });
    // @ts-expect-error a default does not change the value's type
    void Subject.insert1({ subject_name: 'a', species: 3 });
    // @ts-expect-error unknown attribute
    void Subject.insert1({ subject_name: 'a', colour: 'red' });
    // @ts-expect-error rows without marks are inserted as declared
    void Plain.insert1({ id: 1 });
  });

  it('inserts iterables and async iterables of insert rows', () => {
    async function* rows(): AsyncGenerator<{ subject_name: string }> { yield { subject_name: 'x' }; }
    expectTypeOf(Subject.insert(rows())).resolves.toEqualTypeOf<number>();
    expectTypeOf(Subject.insert(new Set([{ subject_name: 'y' }]))).resolves.toEqualTypeOf<number>();
    async function* wrong(): AsyncGenerator<{ name: string }> { yield { name: 'x' }; }
    // @ts-expect-error rows of the wrong shape
    void Subject.insert(wrong());
  });
});

describe('keys, orderBy, aggr, sql<T>, U, top and columns are typed', () => {
  it('keys() returns the primary key', () => {
    expectTypeOf(Session.keys()).resolves.toEqualTypeOf<Array<{ subject_name: string; session: number }>>();
    expectTypeOf(Session.restrict({ good: true }).keys()).resolves.toEqualTypeOf<Array<{ subject_name: string; session: number }>>();
    expectTypeOf(Session.join(Subject).keys()).resolves.toEqualTypeOf<Array<{ subject_name: string; session: number } & { subject_name: string }>>();
    expectTypeOf(Plain.keys()).resolves.toEqualTypeOf<Array<Partial<PlainRow>>>();
  });

  it('checks orderBy names like restriction names', () => {
    void Session.orderBy('day', 'session DESC', 'KEY', 'KEY desc');
    void Session.restrict({ subject_name: 'a' }).orderBy('big asc');
    // @ts-expect-error unknown attribute
    void Session.orderBy('nope');
    // @ts-expect-error not a direction
    void Session.orderBy('day sideways');
    void Session.top(3, 'day DESC');
    // @ts-expect-error unknown attribute in top()
    void Session.top(3, 'dya DESC');
    expectTypeOf(Session.restrict(top(2, 'day'))).toEqualTypeOf<Query<RowOf<typeof Session>, KeyOf<typeof Session>>>();
  });

  it('types aggr results: the left key, the named attributes and sql<T> computations', () => {
    const counted = Subject.aggr(Session, { n: sql<number>`count(session)`, last: sql<string | null>`max(day)` });
    expectTypeOf(counted.fetch()).resolves.toEqualTypeOf<Array<{ subject_name: string; n: number; last: string | null }>>();
    const named = Subject.aggr(Session, { n: sql<number>`count(*)` }, { attributes: ['species'], excludeNonmatching: true });
    expectTypeOf(named.fetch1()).resolves.toEqualTypeOf<{ subject_name: string; species: string; n: number }>();
    const untyped = Subject.aggr(Session, { n: sql`count(*)` });
    expectTypeOf(untyped.fetch1()).resolves.toEqualTypeOf<{ subject_name: string; n: unknown }>();
    // @ts-expect-error attributes come from the left side
    void Subject.aggr(Session, { n: sql`count(*)` }, { attributes: ['day'] });
    // @ts-expect-error computed attributes are sql fragments
    void Subject.aggr(Session, { n: 'count(*)' });
    expectTypeOf(Session.proj({ twice: sql<number>`session * 2` }).fetch1()).resolves.toMatchTypeOf<{ twice: number }>();
  });

  it('types universal sets', () => {
    expectTypeOf(U('species').restrict(Subject).fetch()).resolves.toEqualTypeOf<Array<Pick<RowOf<typeof Subject>, 'species'>>>();
    expectTypeOf(U('good').aggr(Session, { n: sql<number>`count(*)` }).fetch()).resolves.toEqualTypeOf<Array<{ good: boolean; n: number }>>();
    expectTypeOf(U().aggr(Session, { n: sql<number>`count(*)` }).fetch1()).resolves.toEqualTypeOf<{ n: number }>();
    // @ts-expect-error Subject has no attribute day
    void U('day').restrict(Subject);
  });

  it('types columns', () => {
    const columns = Session.fetch({ format: 'columns' });
    expectTypeOf(columns).resolves.toHaveProperty('session').toEqualTypeOf<NumberColumn | number[]>();
    expectTypeOf(columns).resolves.toHaveProperty('big').toEqualTypeOf<BigInt64Array | BigUint64Array | bigint[]>();
    expectTypeOf(columns).resolves.toHaveProperty('day').toEqualTypeOf<string[]>();
    const some = Subject.fetch({ format: 'columns', attributes: ['weight'] });
    expectTypeOf(some).resolves.toEqualTypeOf<{ weight: Array<number | null> }>();
    // @ts-expect-error unknown attribute
    void Subject.fetch({ format: 'columns', attributes: ['nope'] });
  });

  it('types fetch1 with attributes on the table class', () => {
    expectTypeOf(Session.fetch1('day', 'good')).resolves.toEqualTypeOf<{ day: string; good: boolean }>();
    // @ts-expect-error unknown attribute
    void Session.fetch1('nope');
  });
});

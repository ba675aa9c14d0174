import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CardinalityError, Connection, Manual, QueryError, Schema, U, UnknownAttributeError, sql, top,
  type Default, type Key,
} from '../../src/index.js';
import { compileCount } from '../../src/schema/query/compile.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

interface SubjectRow { subject_name: Key<string>; species: Default<string>; weight: number | null }
interface SessionRow { subject_name: Key<string>; session: Key<number>; day: string; good: Default<boolean>; big: Default<bigint>; cost: Default<string> }
interface SingleRow { id: Key<number>; a: string; b: number; c: number }

describe.each(dialects)('DataJoint 2 query semantics on $name', (dialect) => {
  const schema = new Schema(schemaName(`dj2_${dialect.name}`), { connection: dialect.url('dj2') });
  @schema class Subject extends Manual<SubjectRow> {
    static override definition = `
      subject_name: varchar(64)
      ---
      species = 'mouse' : varchar(32)
      weight = null : float
    `;
  }
  @schema class Session extends Manual<SessionRow> {
    static override definition = `
      -> Subject
      session: int
      ---
      day: date
      good = 1 : bool
      big = 0 : bigint
      cost = 0 : decimal(10,2)
    `;
  }
  @schema class Single extends Manual<SingleRow> {
    static override definition = 'id: int\n---\na: varchar(8)\nb: int\nc: double';
  }
  /** The dialect's spelling of SQL written with double quotes, and of a table of this schema. */
  const q = (s: string): string => {
    const quoted = dialect.name === 'mysql' ? s.replace(/"/g, '`') : s;
    return quoted.replace(/<(\w+)>/g, (_, t: string) => ({ mysql: `\`${schema.database}\`.\`${t}\``, postgres: `"${schema.database}"."${t}"`, sqlite: `"${schema.database}.${t}"` }[dialect.name]));
  };

  beforeAll(async () => {
    await schema.drop({ force: true });
    await Subject.insert([
      { subject_name: 'a', weight: 20.5 },
      { subject_name: 'b', species: 'rat' },
      { subject_name: 'c', weight: 18 },
    ]);
    await Session.insert([
      { subject_name: 'a', session: 1, day: '2008-06-06', big: 5n, cost: '2.50' },
      { subject_name: 'a', session: 2, day: '2008-06-24', good: false, cost: '0.10' },
      { subject_name: 'b', session: 1, day: '2008-07-02' },
      { subject_name: 'b', session: 2, day: '2008-05-01' },
    ]);
    await Single.insert1({ id: 1, a: 'x', b: 2, c: 0.25 });
  });

  describe('aggr', () => {
    it('keeps every row of the left side by default and returns its key with the computed attributes', async () => {
      const query = Subject.aggr(Session, { n: sql<number>`count(session)`, rows: sql<number>`count(*)`, last: sql<string>`max(day)` });
      expect(query.heading.names).toEqual(['subject_name', 'n', 'rows', 'last']);
      expect(query.primaryKey).toEqual(['subject_name']);
      expect(query.toSQL().sql).toBe(q(
        'SELECT "_q1"."subject_name" AS "subject_name", (count(session)) AS "n", (count(*)) AS "rows", (max(day)) AS "last"'
        + ' FROM <subject> AS "_q1" LEFT JOIN <session> AS "_q2" USING ("subject_name") GROUP BY "_q1"."subject_name"',
      ));
      // count(attr) is 0 on a row without matches; count(*) counts the row of NULLs, as in DataJoint 2.
      expect(await query.orderBy('subject_name').fetch()).toEqual([
        { subject_name: 'a', n: 2, rows: 2, last: '2008-06-24' },
        { subject_name: 'b', n: 2, rows: 2, last: '2008-07-02' },
        { subject_name: 'c', n: 0, rows: 1, last: null },
      ]);
    });

    it('keeps the attributes named, all with "*", and only matching rows with excludeNonmatching', async () => {
      const named = Subject.aggr(Session, { n: sql<number>`count(session)` }, { attributes: ['species'] });
      expect(await named.orderBy('subject_name').fetch()).toEqual([
        { subject_name: 'a', species: 'mouse', n: 2 }, { subject_name: 'b', species: 'rat', n: 2 }, { subject_name: 'c', species: 'mouse', n: 0 },
      ]);
      const all = Subject.aggr(Session, { n: sql<number>`count(session)` }, { attributes: ['*'] });
      expect(all.heading.names).toEqual(['subject_name', 'species', 'weight', 'n']);
      const matching = Subject.aggr(Session, { n: sql<number>`count(*)` }, { excludeNonmatching: true });
      expect(matching.toSQL().sql).toContain(q('FROM <subject> AS "_q1" JOIN <session> AS "_q2" USING ("subject_name")'));
      expect(await matching.orderBy('subject_name').fetch()).toEqual([{ subject_name: 'a', n: 2 }, { subject_name: 'b', n: 2 }]);
      expect(await matching.count()).toBe(2);
      expect(await Subject.aggr(Session, { n: sql<number>`count(session)` }).count()).toBe(3);
    });

    it('aggregates a restricted group inside the join, and restricts on computed attributes afterwards', async () => {
      const good = Subject.aggr(Session.restrict({ good: true }), { n: sql<number>`count(session)` });
      expect(await good.orderBy('subject_name').fetch('n')).toEqual([{ n: 1 }, { n: 2 }, { n: 0 }]);
      const busy = Subject.aggr(Session, { n: sql<number>`count(session)` }).restrict('n > 1');
      expect((await busy.keys()).map((k) => k.subject_name).sort()).toEqual(['a', 'b']);
      expect(await Subject.restrict({ subject_name: 'a' }).aggr(Session, { n: sql<number>`count(session)` }).fetch()).toEqual([{ subject_name: 'a', n: 2 }]);
    });

    it('refuses a group without the left key, unknown attributes and clashing names', () => {
      expect(() => Session.aggr(Subject, { n: sql`count(*)` })).toThrow(/lacks session/);
      expect(() => Subject.aggr(Session, { n: sql`count(*)` }, { attributes: ['nope' as never] })).toThrow(UnknownAttributeError);
      expect(() => Subject.aggr(Session, { species: sql`count(*)` }, { attributes: ['species'] })).toThrow(QueryError);
      expect(() => Subject.aggr(Session, { n: 'count(*)' as never })).toThrow(/write it as sql/);
    });
  });

  describe('universal sets', () => {
    it('U(...).restrict(query) lists the distinct values, keyed by them', async () => {
      const species = U('species').restrict(Subject);
      expect(species.primaryKey).toEqual(['species']);
      expect(species.toSQL()).toEqual({ sql: q('SELECT DISTINCT "_q1"."species" AS "species" FROM <subject> AS "_q1"'), params: [] });
      expect(await species.orderBy('species').fetch()).toEqual([{ species: 'mouse' }, { species: 'rat' }]);
      expect(await species.count()).toBe(2);
      const withSessions = U('species').restrict(Subject.restrict(Session.restrict({ good: false })));
      expect(await withSessions.fetch()).toEqual([{ species: 'mouse' }]);
      const pairs = U('subject_name', 'good').restrict(Session);
      expect(await pairs.orderBy('subject_name', 'good').fetch()).toEqual([
        { subject_name: 'a', good: false }, { subject_name: 'a', good: true }, { subject_name: 'b', good: true },
      ]);
      expect(await U('species').restrict(Subject.join(Session)).count()).toBe(2);
      // the result is a query like any other
      expect(await Subject.restrict(U('species').restrict(Subject.restrict({ subject_name: 'b' }))).keys()).toEqual([{ subject_name: 'b' }]);
    });

    it('U(...).aggr groups by any attributes, U().aggr summarises the whole query in one row', async () => {
      const bySpecies = U('species').aggr(Subject, { n: sql<number>`count(*)` });
      expect(bySpecies.toSQL().sql).toBe(q('SELECT "_q1"."species" AS "species", (count(*)) AS "n" FROM <subject> AS "_q1" GROUP BY "_q1"."species"'));
      expect(await bySpecies.orderBy('species').fetch()).toEqual([{ species: 'mouse', n: 2 }, { species: 'rat', n: 1 }]);
      const byDay = U('good').aggr(Session, { n: sql<number>`count(*)`, first: sql<string>`min(day)` });
      expect(await byDay.orderBy('good').fetch()).toEqual([{ good: false, n: 1, first: '2008-06-24' }, { good: true, n: 3, first: '2008-05-01' }]);
      expect(await U().aggr(Session, { n: sql<number>`count(*)`, goods: sql<number>`sum(CASE WHEN good THEN 1 ELSE 0 END)` }).fetch()).toEqual([{ n: 4, goods: 3 }]);
      expect(await U().aggr(Session.restrict(false), { n: sql<number>`count(*)` }).fetch()).toEqual([{ n: 0 }]);
      expect(await U().aggr(Session, { n: sql<number>`count(*)` }).count()).toBe(1);
    });

    it('refuses unknown attributes, an empty listing, joins and antijoins', () => {
      expect(() => U('nope').restrict(Subject as never)).toThrow(/names nope, which Subject does not have/);
      expect(() => U().restrict(Subject)).toThrow(/U\(\) has no attributes/);
      expect(() => U('species').join()).toThrow(/cannot be joined/);
      expect(() => U('species').exclude()).toThrow(/infinite set/);
      expect(() => U('a', 'a')).toThrow(/twice/);
    });
  });

  describe('top', () => {
    it('restricts to the first rows in an order, with the SQL of dj.Top', async () => {
      const latest = Session.restrict(top(2, 'day DESC'));
      expect(latest.toSQL()).toEqual({
        sql: q('SELECT "_q1"."subject_name" AS "subject_name", "_q1"."session" AS "session", "_q1"."day" AS "day", "_q1"."good" AS "good", "_q1"."big" AS "big", "_q1"."cost" AS "cost"'
          + ' FROM <session> AS "_q1" ORDER BY "day" DESC LIMIT ?'),
        params: [2],
      });
      expect(await latest.fetch('day')).toEqual([{ day: '2008-07-02' }, { day: '2008-06-24' }]);
      expect(await Session.restrict(top()).keys()).toEqual([{ subject_name: 'a', session: 1 }]);
      expect(await Session.restrict(top(2, 'KEY DESC', 1)).keys()).toEqual([{ subject_name: 'b', session: 1 }, { subject_name: 'a', session: 2 }]);
      expect((await Session.restrict(top(null, 'day')).fetch('day')).map((r) => r.day)).toEqual(['2008-05-01', '2008-06-06', '2008-06-24', '2008-07-02']);
      expect(await Session.top(1, 'day').fetch1('day')).toEqual({ day: '2008-05-01' });
      expect(await Session.restrict(top(3, 'day')).count()).toBe(3);
    });

    it('merges a Top that inherits the order, and runs one with another order on the first one\'s rows', async () => {
      const first3 = Session.restrict(top(3, 'day DESC'));
      const merged = first3.restrict(top(5, null, 1));
      expect(merged.toSQL().sql).toMatch(/ORDER BY .day. DESC LIMIT \? OFFSET \?$/);
      expect(merged.toSQL().params).toEqual([2, 1]);
      expect((await merged.fetch('day')).map((r) => r.day)).toEqual(['2008-06-24', '2008-06-06']);
      const reordered = first3.restrict(top(1, 'day'));
      expect(reordered.toSQL().sql).toMatch(/^SELECT .* FROM \(SELECT .* ORDER BY .day. DESC LIMIT \?\) AS .* ORDER BY .day. LIMIT \?$/);
      expect(await reordered.fetch1('day')).toEqual({ day: '2008-06-06' });
      expect((await first3.limit(1).offset(1).fetch('day')).map((r) => r.day)).toEqual(['2008-06-24']);
      expect((await first3.orderBy('day').fetch('day')).map((r) => r.day)).toEqual(['2008-06-06', '2008-06-24', '2008-07-02']);
    });

    it('runs restrictions, joins and semijoins after a Top on its rows', async () => {
      const first2 = Session.restrict(top(2, 'day'));
      expect(await first2.restrict({ subject_name: 'b' }).keys()).toEqual([{ subject_name: 'b', session: 2 }]);
      expect(await Session.restrict({ subject_name: 'b' }).restrict(top(1, 'day')).keys()).toEqual([{ subject_name: 'b', session: 2 }]);
      expect((await Subject.restrict(first2).keys()).map((k) => k.subject_name).sort()).toEqual(['a', 'b']);
      expect((await Subject.join(Session.restrict(top(1, 'day DESC'))).fetch('subject_name', 'species'))).toEqual([{ subject_name: 'b', species: 'rat' }]);
    });

    it('deletes the rows of a Top, and refuses to delete from a join', async () => {
      await Single.insert([{ id: 2, a: 'y', b: 3, c: 1 }, { id: 3, a: 'z', b: 4, c: 2 }]);
      expect(await Single.top(2, 'id DESC').deleteQuick()).toBe(2);
      expect(await Single.fetch('id')).toEqual([{ id: 1 }]);
      await expect(Single.join(Subject).deleteQuick()).rejects.toThrow(/cannot delete from a join/);
    });

    it('refuses a Top inside OR or NOT, bad limits and unknown order names', () => {
      expect(() => Session.restrict([top(1), { session: 1 }])).toThrow(/cannot be part of an OR list/);
      expect(() => Session.exclude(top(1))).toThrow(QueryError);
      expect(() => top(-1)).toThrow(/whole number/);
      expect(() => Session.restrict(top(1, 'nope'))).toThrow(UnknownAttributeError);
      expect(() => Session.orderBy('day sideways' as never)).toThrow(/Cannot order by/);
    });
  });

  describe('fetch formats and fetch1', () => {
    it('fetches columns as typed arrays where the attribute is numeric and never NULL', async () => {
      const columns = await Session.orderBy('KEY').fetch({ format: 'columns' });
      expect(columns.session).toBeInstanceOf(Int32Array);
      expect(Array.from(columns.session)).toEqual([1, 2, 1, 2]);
      expect(columns.big).toBeInstanceOf(BigInt64Array);
      expect(Array.from(columns.big)).toEqual([5n, 0n, 0n, 0n]);
      expect(columns.subject_name).toEqual(['a', 'a', 'b', 'b']);
      expect(columns.good).toEqual([true, false, true, true]);
      expect(columns.cost.slice(0, 2)).toEqual(['2.50', '0.10']);
      const subjects = await Subject.orderBy('subject_name').fetch({ format: 'columns', attributes: ['weight', 'species'] });
      expect(Object.keys(subjects)).toEqual(['weight', 'species']);
      expect(subjects.weight).toEqual([20.5, null, 18]);
      const single = await Single.fetch({ format: 'columns' });
      expect(single.c).toBeInstanceOf(Float64Array);
      expect(single.b).toBeInstanceOf(Int32Array);
      const none = await Single.restrict(false).fetch({ format: 'columns' });
      expect(none.c).toBeInstanceOf(Float64Array);
      expect(none.c.length).toBe(0);
      const counted = await Subject.aggr(Session, { n: sql<number>`count(session)` }).orderBy('subject_name').fetch({ format: 'columns' });
      expect(counted.n).toEqual([2, 2, 0]);
      await expect(Session.fetch({ format: 'xml' } as never)).rejects.toThrow(/fetch formats/);
    });

    it('Table.fetch1 returns the attributes named, like Query.fetch1', async () => {
      expect(await Single.fetch1('a', 'c')).toEqual({ a: 'x', c: 0.25 });
      expect(await Single.fetch1()).toEqual({ id: 1, a: 'x', b: 2, c: 0.25 });
      await expect(Session.fetch1('day')).rejects.toThrow(CardinalityError);
      await expect(Single.fetch1('nope' as never)).rejects.toThrow(UnknownAttributeError);
    });
  });

  describe('count', () => {
    it('counts a semijoin over its own FROM and WHERE, without a derived table', async () => {
      const query = Subject.restrict(Session.restrict({ good: false }));
      expect(compileCount(query.connection.dialect, query.node)).toEqual({
        sql: q('SELECT count(*) AS "n" FROM <subject> AS "_q1" WHERE EXISTS (SELECT 1 FROM <session> AS "_q2" WHERE ("_q2"."good" = ?) AND "_q2"."subject_name" = "_q1"."subject_name")'),
        params: [0],
      });
      expect(await query.count()).toBe(1);
      expect(await Subject.exclude(Session).count()).toBe(1);
      expect(await Session.join(Subject).restrict({ species: 'rat' }).count()).toBe(2);
      // grouped, distinct and limited queries count their rows through a derived table
      expect(compileCount(query.connection.dialect, U('species').restrict(Subject).node).sql).toBe(q(
        'SELECT count(*) AS "n" FROM (SELECT DISTINCT "_q1"."species" AS "species" FROM <subject> AS "_q1") AS "_count"',
      ));
      expect(await Session.query().limit(3).count()).toBe(3);
      expect(await Session.query().offset(3).count()).toBe(1);
    });
  });
});

import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CardinalityError, Connection, DataLossError, DuplicateError, IntegrityError, InvalidValueError, Manual, Part,
  QueryError, Schema, UnknownAttributeError, not, sql,
} from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

interface SubjectRow { subject_name: string; species: string; weight: number | null }
interface SessionRow { subject_name: string; session: number; day: string; good: boolean; big: bigint; cost: string }
interface NeuronRow { subject_name: string; session: number; neuron: number }

describe.each(dialects)('queries on $name', (dialect) => {
  const schema = new Schema(schemaName(`query_${dialect.name}`), { connection: dialect.url('query') });
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
    static Note = class extends Part {
      static override definition = '-> master\nnote_id: int\n---\ntext: varchar(255)';
    };
  }
  @schema class Neuron extends Manual<NeuronRow> {
    static override definition = '-> Session\nneuron: int';
  }
  const q = (s: string): string => (dialect.name === 'mysql' ? s.replace(/"/g, '`') : s);

  beforeAll(async () => {
    await schema.drop({ force: true });
    await Subject.insert([
      { subject_name: 'a', species: 'mouse', weight: 20.5 },
      { subject_name: 'b', species: 'rat', weight: null },
      { subject_name: 'c', species: 'mouse', weight: 18 },
    ]);
    await Session.insert([
      { subject_name: 'a', session: 1, day: '2008-06-06', good: true, big: 9007199254740993n, cost: '12.50' },
      { subject_name: 'a', session: 2, day: '2008-06-24', good: false, big: 1n, cost: '0.10' },
      { subject_name: 'b', session: 1, day: '2008-07-02', good: true, big: 2n, cost: '3' },
    ]);
    await Neuron.insert([1, 2, 3].map((neuron) => ({ subject_name: 'a', session: 1, neuron })));
  });

  it('fetches typed values the same on both databases', async () => {
    expect(await Session.restrict({ subject_name: 'a', session: 1 }).fetch1()).toEqual({
      subject_name: 'a', session: 1, day: '2008-06-06', good: true, big: 9007199254740993n, cost: '12.50',
    });
    expect(await Subject.restrict({ subject_name: 'b' }).fetch1()).toEqual({ subject_name: 'b', species: 'rat', weight: null });
  });

  it('restricts by object, array, string, sql, not and another query, with bound SQL', async () => {
    const byObject = Subject.restrict({ species: 'mouse' });
    expect(byObject.toSQL()).toEqual({
      // MySQL prints a 4-byte float with 6 digits: it is read as a double to keep all of the float32.
      sql: q(`SELECT "_q1"."subject_name" AS "subject_name", "_q1"."species" AS "species", ${dialect.name === 'mysql' ? 'CAST("_q1"."weight" AS DOUBLE)' : '"_q1"."weight"'} AS "weight" FROM "DB"."subject" AS "_q1" WHERE ("_q1"."species" = ?)`)
        .replace(q('"DB"."subject"'), { mysql: `\`${schema.database}\`.\`subject\``, postgres: `"${schema.database}"."subject"`, sqlite: `"${schema.database}.subject"` }[dialect.name]),
      params: ['mouse'],
    });
    expect((await byObject.fetch('subject_name')).map((r) => r.subject_name).sort()).toEqual(['a', 'c']);
    expect((await Subject.restrict([{ subject_name: 'a' }, { subject_name: 'b' }]).keys()).length).toBe(2);
    expect(await Subject.restrict([]).count()).toBe(0);
    expect(await Subject.restrict('weight > 19').count()).toBe(1);
    expect(await Subject.restrict(sql`weight < ${19}`).count()).toBe(1);
    expect(await Subject.restrict(not({ species: 'mouse' })).count()).toBe(1);
    expect(await Subject.restrict({ weight: null }).count()).toBe(1);
    expect((await Subject.restrict(Session).keys()).map((k) => k.subject_name).sort()).toEqual(['a', 'b']);
    expect(await Subject.exclude(Session).keys()).toEqual([{ subject_name: 'c' }]);
    expect(await Session.restrict(Neuron).count()).toBe(1);
    expect(await Subject.restrict(Session.restrict({ good: false })).count()).toBe(1);
    expect(() => Subject.restrict({ nonsense: 1 } as never).toSQL()).toThrow(UnknownAttributeError);
  });

  it('joins, projects, aggregates and unions', async () => {
    const joined = await Session.join(Subject).restrict({ species: 'rat' }).fetch();
    expect(joined).toEqual([{ subject_name: 'b', session: 1, day: '2008-07-02', good: true, big: 2n, cost: '3.00', species: 'rat', weight: null }]);
    const projected = await Session.proj({ date: 'day' }).restrict({ subject_name: 'a' }).orderBy('session').fetch();
    expect(projected).toEqual([{ subject_name: 'a', session: 1, date: '2008-06-06' }, { subject_name: 'a', session: 2, date: '2008-06-24' }]);
    const computed = await Subject.proj({ double_weight: sql`weight * ${2}` }).restrict({ subject_name: 'a' }).fetch1();
    expect(computed).toEqual({ subject_name: 'a', double_weight: 41 });
    const counts = await Subject.aggr(Session, { n: sql`count(*)` }, { excludeNonmatching: true }).orderBy('subject_name').fetch('subject_name', 'n');
    expect(counts).toEqual([{ subject_name: 'a', n: 2 }, { subject_name: 'b', n: 1 }]);
    const all = await Subject.aggr(Session, { n: sql`count(session)` }).orderBy('subject_name DESC').fetch('subject_name', 'n');
    expect(all).toEqual([{ subject_name: 'c', n: 0 }, { subject_name: 'b', n: 1 }, { subject_name: 'a', n: 2 }]);
    const union = await Subject.restrict({ subject_name: 'a' }).union(Subject.restrict({ subject_name: 'c' })).keys();
    expect(union.map((r) => r.subject_name).sort()).toEqual(['a', 'c']);
    expect(() => Subject.join(Session.proj())).not.toThrow();
    expect(() => Subject.join(Subject.proj('species'))).toThrow(/Cannot join on species/);
    expect(() => Subject.proj('species').join(Session.proj({ species: 'day' }))).toThrow(QueryError);
    expect(await Session.orderBy('day DESC').limit(1).offset(1).fetch('day')).toEqual([{ day: '2008-06-24' }]);
  });

  it('counts, checks existence, streams and insists on one row for fetch1', async () => {
    expect(await Neuron.count()).toBe(3);
    expect(await Neuron.restrict({ neuron: 9 }).exists()).toBe(false);
    const streamed: number[] = [];
    for await (const n of Neuron.query()) streamed.push(n.neuron);
    expect(streamed.sort()).toEqual([1, 2, 3]);
    await expect(Neuron.fetch1()).rejects.toThrow(CardinalityError);
    await expect(Neuron.restrict({ neuron: 9 }).fetch1()).rejects.toThrow(/found none/);
  });

  it('names the table, attribute and row of a bad insert and leaves nothing behind', async () => {
    await expect(Subject.insert1({ subject_name: 'x', species: 'm', weight: null, extra: 1 } as never)).rejects.toThrow(/Subject has no attribute extra/);
    await expect(Session.insert1({ subject_name: 'a', session: 9 } as never)).rejects.toThrow(/Session.day is required and missing/);
    await expect(Session.insert1({ subject_name: 'a', session: 9, day: 'soon' } as never)).rejects.toThrow(InvalidValueError);
    await expect(Subject.insert([{ subject_name: 'd', species: 'x', weight: 1 }, { subject_name: 'a', species: 'x', weight: 1 }])).rejects.toThrow(DuplicateError);
    await expect(Subject.insert([{ subject_name: 'd', species: 'x', weight: 1 }, { subject_name: 'a', species: 'x', weight: 1 }])).rejects.toThrow(/key \{ subject_name: "a" \}/);
    expect(await Subject.restrict({ subject_name: 'd' }).count()).toBe(0);
    await expect(Session.insert1({ subject_name: 'zz', session: 1, day: '2020-01-01' } as never)).rejects.toThrow(IntegrityError);
    expect(await Subject.insert([{ subject_name: 'a', species: 'x', weight: 1 }], { skipDuplicates: true })).toBeGreaterThanOrEqual(0);
    expect((await Subject.restrict({ subject_name: 'a' }).fetch1()).species).toBe('mouse');
    await Subject.insert([{ subject_name: 'a', species: 'hamster', weight: 1 }], { replace: true });
    expect((await Subject.restrict({ subject_name: 'a' }).fetch1()).species).toBe('hamster');
    await Subject.update1({ subject_name: 'a', species: 'mouse', weight: 20.5 });
    expect((await Subject.restrict({ subject_name: 'a' }).fetch1()).species).toBe('mouse');
    await expect(Subject.update1({ subject_name: 'nobody', species: 'x' })).rejects.toThrow(/found no Subject row/);
  });

  it('inserts a thousand rows at once, names the failing one deep inside, and skips or replaces across statements', async () => {
    const many = Array.from({ length: 1234 }, (_, i) => ({ subject_name: `many${i}`, species: i % 2 ? 'rat' : 'mouse', weight: i % 3 ? i / 4 : null }));
    expect(await Subject.insert(many)).toBe(1234);
    expect(await Subject.restrict("subject_name LIKE 'many%'").count()).toBe(1234);
    expect(await Subject.restrict({ subject_name: 'many778' }).fetch1()).toEqual({ subject_name: 'many778', species: 'mouse', weight: 778 / 4 });
    expect(await Subject.restrict({ subject_name: 'many999' }).fetch1()).toEqual({ subject_name: 'many999', species: 'rat', weight: null });
    // A duplicate in the middle of the fifth statement's worth of rows (200 rows a statement on SQLite): that row is named, and none of the insert stays.
    const more = Array.from({ length: 1100 }, (_, i) => ({ subject_name: i === 810 ? 'many5' : `more${i}`, species: 'x', weight: 1 }));
    await expect(Subject.insert(more)).rejects.toThrow(/key \{ subject_name: "many5" \}/);
    expect(await Subject.restrict("subject_name LIKE 'more%'").count()).toBe(0);
    await Subject.insert(more, { skipDuplicates: true });
    expect(await Subject.restrict("subject_name LIKE 'more%'").count()).toBe(1099);
    expect((await Subject.restrict({ subject_name: 'many5' }).fetch1()).species).toBe('rat');
    await Subject.insert(many.map((r) => ({ ...r, species: 'vole' })), { replace: true });
    expect(await Subject.restrict({ species: 'vole' }).count()).toBe(1234);
    await Subject.restrict("subject_name LIKE 'many%' OR subject_name LIKE 'more%'").deleteQuick();
  });

  it('keeps hostile strings as data, never as SQL', async () => {
    await Subject.insert1({ subject_name: 'what?', species: '?', weight: null });
    expect(await Subject.restrict("subject_name = 'what?'").count()).toBe(1);
    expect(await Subject.restrict(sql`subject_name = ${'what?'} AND species = '?'`).count()).toBe(1);
    await Subject.restrict({ subject_name: 'what?' }).deleteQuick();
    // PostgreSQL's text cannot hold U+0000: it refuses the value before sending anything.
    const nul = 'nul\u0000byte';
    if (dialect.name === 'postgres') await expect(Subject.insert1({ subject_name: nul, species: 's', weight: null })).rejects.toThrow(/subject_name holds U\+0000 \(NUL\), which PostgreSQL text cannot store/);
    const hostile = ["O'Brien", 'back\\slash', "'; DROP TABLE subject; --", ...(dialect.name === 'postgres' ? [] : [nul]), 'x'.repeat(60), '" OR 1=1 --', 'what $1 ?'];
    await Subject.insert(hostile.map((subject_name) => ({ subject_name, species: subject_name.slice(0, 32), weight: null })));
    for (const name of hostile) {
      expect(await Subject.restrict({ subject_name: name }).fetch1()).toMatchObject({ subject_name: name, species: name.slice(0, 32) });
      expect(await Subject.restrict(sql`subject_name = ${name}`).count()).toBe(1);
    }
    expect(await Subject.restrict(hostile.map((subject_name) => ({ subject_name }))).count()).toBe(hostile.length);
    await expect(Subject.insert1({ subject_name: 'y'.repeat(100_000), species: 's', weight: null })).rejects.toThrow(/longer than 64/);
    await Subject.restrict(hostile.map((subject_name) => ({ subject_name }))).deleteQuick();
    expect(await Subject.count()).toBe(3);
  });

  it('deletes in cascade, refusing without force, and refuses deleting from a Part', async () => {
    await Session.Note.insert([{ subject_name: 'b', session: 1, note_id: 1, text: 'n' }] as never);
    await expect(Subject.restrict({ subject_name: 'a' }).delete()).rejects.toThrow(DataLossError);
    expect(await Neuron.count()).toBe(3);
    await expect(Session.Note.delete()).rejects.toThrow(/is a Part/);
    expect(await Subject.restrict({ subject_name: 'c' }).delete()).toEqual({ Subject: 1, Session: 0, 'Session.Note': 0, Neuron: 0 });
    expect(await Subject.restrict({ subject_name: 'b' }).delete({ force: true })).toEqual({ Subject: 1, Session: 1, 'Session.Note': 1, Neuron: 0 });
    await expect(Session.restrict({ subject_name: 'a' }).deleteQuick()).rejects.toThrow(IntegrityError);
    expect(await schema.transaction(async () => Neuron.count())).toBe(3);
    await expect(schema.transaction(async () => {
      await Neuron.restrict({ neuron: 1 }).deleteQuick();
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await Neuron.count()).toBe(3);
  });
});

describe('connection lifetime', () => {
  it('reconnects a schema used after Connection.closeAll(), and keeps in-memory SQLite alive while idle', async () => {
    const memory = new Schema('rgt_lifetime', { connection: 'sqlite::memory:' });
    @memory class Item extends Manual<{ id: number }> { static override definition = 'id: int'; }
    await Item.insert([{ id: 1 }, { id: 2 }]);
    await new Promise((r) => setTimeout(r, 1700));
    expect(await Item.count()).toBe(2);
    for (const dialect of dialects) {
      const schema = new Schema(schemaName(`lifetime_${dialect.name}`), { connection: dialect.url('lifetime') });
      @schema class Thing extends Manual<{ id: number }> { static override definition = 'id: int'; }
      await schema.drop({ force: true });
      await Thing.insert1({ id: 7 });
      await Connection.closeAll();
      expect(await Thing.fetch()).toEqual([{ id: 7 }]);
    }
  });
});

describe.each(dialects)('every attribute type round-trips on $name', (dialect) => {
  it('uuid, json, time, datetime, timestamp default, enum, float32, int64, uint8, decimal, bytes', async () => {
    const schema = new Schema(schemaName(`types_${dialect.name}`), { connection: dialect.url('types') });
    interface Row {
      id: string; doc: unknown; at: string; when: string; stamp?: string; kind: string; f: number; big: bigint; small: number; price: string; raw: Buffer; maybe: number | null;
    }
    @schema class Everything extends Manual<Row> {
      static override definition = `
        id: uuid
        ---
        doc: json
        at: time
        when: datetime
        stamp = CURRENT_TIMESTAMP : timestamp
        kind = 'b' : enum('a', 'b')
        f: float32
        big: int64
        small: uint8
        price: decimal(6,2)
        raw: bytes
        maybe = null : int
      `;
    }
    await schema.drop({ force: true });
    const row = {
      id: '123e4567-e89b-12d3-a456-426614174000', doc: { a: [1, 'x', null], b: { c: true } }, at: '13:45:01', when: '2008-06-06 12:30:00',
      kind: 'a', f: 0.5, big: -9007199254740993n, small: 255, price: '12.5', raw: Buffer.from([0, 255, 10]), maybe: null,
    };
    await Everything.insert1(row);
    const back = await Everything.fetch1();
    const { stamp, ...rest } = back;
    expect(rest).toEqual({ ...row, price: '12.50' });
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await Everything.restrict({ id: row.id }).count()).toBe(1);
    expect(await Everything.restrict({ big: -9007199254740993n }).count()).toBe(1);
    await expect(Everything.insert1({ ...row, id: 'not-a-uuid' })).rejects.toThrow(/Everything\.id must be a UUID/);
    await expect(Everything.insert1({ ...row, id: '00000000-0000-0000-0000-000000000001', kind: 'z' })).rejects.toThrow(/must be one of 'a', 'b'/);
    await expect(Everything.insert1({ ...row, id: '00000000-0000-0000-0000-000000000001', small: 256 })).rejects.toThrow(/out of range for uint8/);
    await schema.drop({ force: true });
  });
});

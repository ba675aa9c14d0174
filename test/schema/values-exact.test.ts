import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, InvalidValueError, Manual, Schema } from '../../src/index.js';
import { dialects, schemaName } from '../setup/dialects.js';

afterAll(() => Connection.closeAll());

/**
 * Values a backend would silently change are refused the same way on every backend, with an
 * InvalidValueError naming the attribute; values MariaDB accepts come back the same everywhere.
 */
describe.each(dialects)('exact values on $name', (dialect) => {
  const schema = new Schema(schemaName(`values_exact_${dialect.name}`), { connection: dialect.url('values-exact') });
  @schema class Value extends Manual {
    static override definition = `
      id: int
      ---
      price = null : decimal(5,2)
      wide = null : decimal(30,2)
      unsigned_price = null : decimal(6,3) unsigned
      day = null : date
      moment = null : datetime
      precise = null : datetime(3)
      stamp = null : timestamp
      duration = null : time
      fine_duration = null : time(2)
      name = null : varchar(20)
      code = null : char(4)
      kind = null : enum('a', 'b')
      doc = null : json
      ratio = null : float
      u = null : bigint unsigned
      i = null : bigint
    `;
  }

  beforeAll(async () => {
    await schema.drop({ force: true });
    await schema.activate();
  });
  afterAll(() => schema.drop({ force: true }));

  async function refused(field: string, value: unknown, message: RegExp): Promise<void> {
    const attempt = Value.insert1({ id: 1, [field]: value });
    await expect(attempt, `${field} = ${String(value)}`).rejects.toThrow(InvalidValueError);
    await expect(Value.insert1({ id: 1, [field]: value })).rejects.toThrow(message);
    expect(await Value.count()).toBe(0);
  }

  async function roundTrip(field: string, value: unknown): Promise<unknown> {
    await Value.deleteQuick();
    await Value.insert1({ id: 1, [field]: value });
    const back = (await Value.fetch1() as Record<string, unknown>)[field];
    expect(await Value.restrict({ [field]: value }).count(), `restriction by ${field} = ${String(value)}`).toBe(1);
    await Value.deleteQuick();
    return back;
  }

  it('decimals: exact from their digits, refused when the column would change them', async () => {
    await refused('price', '1.005', /price has 3 digits after the point and decimal\(5,2\) keeps 2/);
    await refused('price', 1.005, /price has 3 digits after the point/);
    await refused('price', 0.1 + 0.2, /price has 17 digits after the point/);
    await refused('price', '1234.5', /price is out of range: 4 digits before the point and decimal\(5,2\) holds 3/);
    await refused('price', 1e21, /out of range/);
    await refused('unsigned_price', '-0.001', /negative, and the column is unsigned/);
    await refused('price', 'abc', /must be a decimal number/);
    await refused('price', Number.NaN, /must be a decimal number/);
    expect(await roundTrip('wide', '123456789012345678901234567.89')).toBe('123456789012345678901234567.89');
    expect(await roundTrip('wide', '-9999999999999999999999999999.99')).toBe('-9999999999999999999999999999.99');
    expect(await roundTrip('price', 1.5)).toBe('1.50');
    expect(await roundTrip('price', '-000012.300')).toBe('-12.30');
    expect(await roundTrip('price', '1e2')).toBe('100.00');
    expect(await roundTrip('price', '-0.00')).toBe('0.00');
    expect(await roundTrip('unsigned_price', 999.999)).toBe('999.999');
    expect(await roundTrip('price', 7n)).toBe('7.00');
  });

  it('dates: refused alike when impossible, zero or out of range', async () => {
    await refused('day', '2020-13-45', /day has the month 13/);
    await refused('day', '0000-00-00', /day has the year 0/);
    await refused('day', '2020-00-10', /month 0/);
    await refused('day', '2021-02-30', /day has the day 30; 2021-02 has 28 days/);
    await refused('day', '20000-01-01', /must be a Date or a 'YYYY-MM-DD' string/);
    await refused('day', new Date(Number.NaN), /day is an invalid Date/);
    await refused('day', new Date(Date.UTC(20000, 0, 1)), /year 20000/);
    await refused('day', new Date(Date.UTC(2020, 0, 1, 12)), /has a time of day/);
    await refused('day', '2020/01/05', /must be a Date or a 'YYYY-MM-DD' string/);
    expect(await roundTrip('day', '2020-02-29')).toBe('2020-02-29');
    expect(await roundTrip('day', '2020-1-5')).toBe('2020-01-05');
    expect(await roundTrip('day', '0001-01-01')).toBe('0001-01-01');
    expect(await roundTrip('day', '9999-12-31')).toBe('9999-12-31');
    expect(await roundTrip('day', new Date(Date.UTC(2008, 5, 6)))).toBe('2008-06-06');
  });

  it('datetimes and timestamps: refused when impossible or when digits would be cut; fractions kept exactly', async () => {
    await refused('moment', '2020-01-02 24:00:00', /the hour 24/);
    await refused('moment', '2020-01-02 12:60:00', /the minute 60/);
    await refused('moment', '2020-01-02 12:00:60', /the second 60/);
    await refused('moment', '2020-01-02 03:04:05.5', /1 fractional-second digits and datetime keeps 0; declare datetime\(1\)/);
    await refused('precise', '2020-01-02 03:04:05.1234', /4 fractional-second digits and datetime\(3\) keeps 3/);
    await refused('moment', '2020-01-02T03:04:05Z', /no time zone/);
    await refused('moment', '0000-00-00 00:00:00', /year 0/);
    await refused('moment', new Date(Number.NaN), /invalid Date/);
    await refused('moment', new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 120)), /2 fractional-second digits and datetime keeps 0/);
    await refused('stamp', '1969-12-31 23:59:59', /outside the range of a timestamp/);
    await refused('stamp', '2038-01-19 03:14:08', /outside the range of a timestamp/);
    expect(await roundTrip('moment', '2020-01-02T03:04')).toBe('2020-01-02 03:04:00');
    expect(await roundTrip('moment', '2020-01-02')).toBe('2020-01-02 00:00:00');
    expect(await roundTrip('moment', '2020-01-02 03:04:05.000')).toBe('2020-01-02 03:04:05');
    expect(await roundTrip('precise', '2020-01-02 03:04:05.5')).toBe('2020-01-02 03:04:05.500');
    expect(await roundTrip('precise', new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 120)))).toBe('2020-01-02 03:04:05.120');
    expect(await roundTrip('stamp', '2038-01-19 03:14:07')).toBe('2038-01-19 03:14:07');
    expect(await roundTrip('stamp', '1970-01-01 00:00:01')).toBe('1970-01-01 00:00:01');
  });

  it('times: refused beyond MariaDB\'s range or precision, and written as MariaDB returns them', async () => {
    await refused('duration', '12:60:00', /the minute 60/);
    await refused('duration', '12:00:60', /the second 60/);
    await refused('duration', '839:00:00', /839 hours; a time holds -838:59:59 to 838:59:59/);
    await refused('duration', '01:02:03.5', /time keeps 0/);
    await refused('duration', 'noon', /must be an '\[-\]HH:MM:SS\[\.ffffff\]' string/);
    expect(await roundTrip('duration', '1:2:3')).toBe('01:02:03');
    expect(await roundTrip('duration', '12:34')).toBe('12:34:00');
    expect(await roundTrip('duration', '-838:59:59')).toBe('-838:59:59');
    expect(await roundTrip('duration', '-00:00:00')).toBe('00:00:00');
    expect(await roundTrip('fine_duration', '-0:00:00.5')).toBe('-00:00:00.50');
    expect(await roundTrip('fine_duration', '100:00:00.1')).toBe('100:00:00.10');
  });

  it('text that is not Unicode is refused, not stored as U+FFFD; char(n) refuses the trailing spaces MySQL drops', async () => {
    await refused('name', 'a\ud800b', /name is not valid Unicode text \(it holds a lone surrogate/);
    await refused('name', '\udc00', /lone surrogate/);
    await refused('kind', '\ud800', /lone surrogate/);
    await refused('code', 'x\udfff', /lone surrogate/);
    await refused('doc', { text: 'a\ud800' }, /doc holds a string that is not valid Unicode/);
    await refused('doc', { ['\ud800']: 1 }, /has a key that is not valid Unicode/);
    await refused('doc', { n: Number.NaN }, /holds NaN, which JSON cannot represent/);
    await refused('doc', new Date(0), /not JSON data/);
    await refused('code', 'ab ', /ends with a space, which a char\(n\) column drops/);
    if (dialect.name === 'postgres') {
      // PostgreSQL's text and jsonb cannot hold U+0000; refused before anything is sent.
      await refused('name', 'a\0b', /name holds U\+0000 \(NUL\), which PostgreSQL text cannot store/);
      await refused('doc', { text: 'a\0b' }, /doc holds U\+0000 \(NUL\), which PostgreSQL text cannot store/);
      await refused('doc', { ['k\0']: 1 }, /doc has a key that holds U\+0000/);
    }
    const hostile = dialect.name === 'postgres' ? '😀 \\ \' " `%_? $1' : '😀 \0 \\ \' " `%_? $1';
    expect(await roundTrip('name', hostile)).toBe(hostile);
    expect(await roundTrip('name', '\uFEFFbom')).toBe('\uFEFFbom');
    expect(await roundTrip('code', ' ab')).toBe(' ab');
    expect(await roundTrip('doc', 'just a string')).toBe('just a string');
  });

  it('4-byte floats: the same float32 on every backend, its shortest decimal; out of range refused', async () => {
    expect(await roundTrip('ratio', 0.1)).toBe(0.1);
    expect(await roundTrip('ratio', 16777217)).toBe(16777216);
    expect(await roundTrip('ratio', 123456.789)).toBe(123456.79);
    expect(await roundTrip('ratio', 1 / 3)).toBe(0.33333334);
    expect(await roundTrip('ratio', 3.4028235e38)).toBe(3.4028235e38);
    expect(await roundTrip('ratio', 1e-45)).toBe(1e-45);
    expect(Object.is(await roundTrip('ratio', -0), 0)).toBe(true);
    await refused('ratio', 3.5e38, /out of range for a 4-byte float/);
    await refused('ratio', Number.POSITIVE_INFINITY, /must be finite/);
  });

  it('64-bit integers: exact past 2^53 and 2^63, ordered and restricted right', async () => {
    const values = [0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n];
    const shuffled = [values[4]!, values[0]!, values[6]!, values[2]!, values[5]!, values[1]!, values[3]!];
    await Value.insert(shuffled.map((u, id) => ({ id, u, i: u > 2n ** 63n - 1n ? -(2n ** 63n) + u - 2n ** 63n : u })));
    expect((await Value.orderBy('u').fetch('u')).map((r) => r.u)).toEqual(values);
    for (const u of values) expect(await Value.restrict({ u }).count(), `u = ${u}`).toBe(1);
    expect((await Value.restrict({ u: 2n ** 64n - 1n }).fetch1('id')).id).toBe(2);
    expect(await Value.restrict('u > 5').count()).toBe(5);
    expect(await Value.restrict({ i: -(2n ** 63n) }).count()).toBe(1);
    expect((await Value.orderBy('i').fetch('i')).map((r) => r.i)[0]).toBe(-(2n ** 63n));
    if (dialect.name === 'sqlite') {
      // The column is the INTEGER older versions declared: their files take these values unchanged.
      const [column] = await Value.query().connection.query<{ type: string }>(`SELECT type FROM pragma_table_info('${schema.database}.value') WHERE name = 'u'`);
      expect(column?.type).toBe('INTEGER');
      const stored = await Value.query().connection.query<{ t: string }>(`SELECT typeof(u) AS t FROM "${schema.database}.value" ORDER BY u`);
      expect(stored.map((r) => r.t)).toEqual(['integer', 'integer', 'integer', 'integer', 'blob', 'blob', 'blob']);
    }
    await Value.deleteQuick();
    await refused('u', 2n ** 64n, /out of range for bigint unsigned/);
    await refused('u', -1n, /out of range/);
    await refused('i', 2n ** 63n, /out of range for bigint/);
  });
});

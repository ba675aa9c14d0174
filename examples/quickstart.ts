/**
 * Declares a small DataJoint-style schema on the embedded SQLite default (./rg-data/rg.sqlite),
 * fills it, and queries it. Run with `npm run example`.
 */
import { Connection, Lookup, Manual, Schema, U, sql, type Default, type Key } from 'rg-schema/core';

const schema = new Schema('quickstart');

interface SubjectRow { subject_name: Key<string>; species: Default<string> }
@schema
class Subject extends Manual<SubjectRow> {
  static override definition = `
    # an animal
    subject_name: varchar(64)
    ---
    species = 'mouse' : varchar(32)
  `;
}

interface StaParamsRow { n_lags: Key<number> }
@schema
class StaParams extends Lookup<StaParamsRow> {
  static override definition = 'n_lags: smallint unsigned  # frames before the spike';
  static override contents = [{ n_lags: 5 }, { n_lags: 10 }, { n_lags: 20 }];
}

interface SessionRow { subject_name: Key<string>; sample_number: Key<number>; session_date: Key<string> }
@schema
class Session extends Manual<SessionRow> {
  static override definition = `
    -> Subject
    sample_number: int
    session_date: date
  `;
}

await Subject.insert([{ subject_name: 'KO (chx10)' }, { subject_name: 'WT', species: 'mouse' }, { subject_name: 'het' }], { skipDuplicates: true });
await Session.insert([
  { subject_name: 'KO (chx10)', sample_number: 1, session_date: '2008-06-06' },
  { subject_name: 'KO (chx10)', sample_number: 2, session_date: '2008-06-06' },
  { subject_name: 'WT', sample_number: 1, session_date: '2008-07-02' },
], { skipDuplicates: true });

console.log(`connection: ${schema.connection.display}`);
console.log('tables:', await schema.listTables());
console.log('lags:', (await StaParams.fetch()).map((r) => r.n_lags));
// every subject, with 0 for one without sessions (DataJoint 2's aggr keeps every row)
console.log('sessions per subject:', await Subject.aggr(Session, { n: sql<number>`count(sample_number)` }).fetch());
console.log('session days:', await U('session_date').restrict(Session).fetch());
console.log('latest session:', await Session.top(1, 'session_date DESC').keys());
console.log('KO sessions:', await Session.restrict({ subject_name: 'KO (chx10)' }).fetch('sample_number', 'session_date'));
console.log(await Session.describe());
await Connection.closeAll();

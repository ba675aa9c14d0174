/**
 * Declares a small DataJoint-style schema on the embedded SQLite default (./rg-data/rg.sqlite),
 * fills it, and queries it. Run with `npm run example`.
 */
import { Connection, Lookup, Manual, Schema, sql } from 'rg-schema/core';

const schema = new Schema('quickstart');

interface SubjectRow { subject_name: string; species: string }
@schema
class Subject extends Manual<SubjectRow> {
  static override definition = `
    # an animal
    subject_name: varchar(64)
    ---
    species = 'mouse' : varchar(32)
  `;
}

interface StaParamsRow { n_lags: number }
@schema
class StaParams extends Lookup<StaParamsRow> {
  static override definition = 'n_lags: smallint unsigned  # frames before the spike';
  static override contents = [{ n_lags: 5 }, { n_lags: 10 }, { n_lags: 20 }];
}

interface SessionRow { subject_name: string; sample_number: number; session_date: string }
@schema
class Session extends Manual<SessionRow> {
  static override definition = `
    -> Subject
    sample_number: int
    session_date: date
  `;
}

await Subject.insert([{ subject_name: 'KO (chx10)', species: 'mouse' }, { subject_name: 'WT', species: 'mouse' }], { skipDuplicates: true });
await Session.insert([
  { subject_name: 'KO (chx10)', sample_number: 1, session_date: '2008-06-06' },
  { subject_name: 'KO (chx10)', sample_number: 2, session_date: '2008-06-06' },
  { subject_name: 'WT', sample_number: 1, session_date: '2008-07-02' },
], { skipDuplicates: true });

console.log(`connection: ${schema.connection.display}`);
console.log('tables:', await schema.listTables());
console.log('lags:', (await StaParams.fetch()).map((r) => r.n_lags));
console.log('sessions per subject:', await Subject.aggr(Session, { n: sql`count(*)` }).fetch());
console.log('KO sessions:', await Session.restrict({ subject_name: 'KO (chx10)' }).fetch('sample_number', 'session_date'));
console.log(await Session.describe());
await Connection.closeAll();

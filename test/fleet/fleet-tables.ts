/**
 * The tables fleet workers populate in the tests (`rg-pipeline worker --module` loads this file):
 * Result is computed from Item with three Piece parts; make() sleeps RG_FLEET_MAKE_MS (async, so the
 * heartbeat keeps running), fails on purpose for items RG_FLEET_FAIL_EVERY divides with remainder 5,
 * and records each committed make in `fleet_completion` inside its own transaction.
 */
import { hostname } from 'node:os';
import { Computed, Manual, Part, Schema } from '../../src/core.js';

export const schema = new Schema(process.env.RG_FLEET_SCHEMA ?? 'rgt_fleet');

const MAKE_MS = Number(process.env.RG_FLEET_MAKE_MS ?? 400);
const FAIL_EVERY = Number(process.env.RG_FLEET_FAIL_EVERY ?? 0);

@schema
export class Item extends Manual<{ item: number }> {
  static override definition = 'item: int';
}

/** A side table written inside make's transaction: one row per committed make. */
@schema
export class Completion extends Manual<{ completion: number; item: number; host: string; pid: number }> {
  static override definition = 'completion: int auto_increment\n---\nitem: int\nhost: varchar(64)\npid: int';
}

@schema
export class Result extends Computed<{ item: number; value: number }> {
  static override definition = '-> Item\n---\nvalue: int';
  static Piece = class extends Part<{ item: number; piece: number; x: number }> {
    static override definition = '-> master\npiece: tinyint\n---\nx: int';
  };

  async make(key: { item: number }): Promise<void> {
    // For tests that signal a worker while a key is in hand: a reserved jobs row alone comes a
    // moment before make() starts, and a key claimed but not started is given back on a stop.
    if (process.env.RG_FLEET_SAY_MAKING) console.error(`making item ${key.item}`);
    await new Promise((resolve) => setTimeout(resolve, MAKE_MS));
    if (FAIL_EVERY > 0 && key.item % FAIL_EVERY === 5) throw new Error(`item ${key.item} fails on purpose`);
    await this.insert1({ item: key.item, value: key.item * 2 });
    await Result.Piece.insert([0, 1, 2].map((piece) => ({ item: key.item, piece, x: key.item + piece })));
    const c = schema.connection;
    await c.run(`INSERT INTO ${c.dialect.tableRef(schema.database, 'completion')} (${c.dialect.quote('item')}, ${c.dialect.quote('host')}, ${c.dialect.quote('pid')}) VALUES (?, ?, ?)`,
      [key.item, hostname(), process.pid]);
  }
}

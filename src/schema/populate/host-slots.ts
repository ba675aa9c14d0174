import { mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { PopulateError } from '../../errors.js';

/** What of a better-sqlite3 Database a slot needs: its file lock, taken and given back by SQL. */
interface SlotFile {
  exec(sql: string): unknown;
  readonly inTransaction: boolean;
}

/** A slot this process holds; `release()` gives it back (once; later calls do nothing). */
export interface HostSlot {
  release(): void;
}

/**
 * Populate processes of one host that make keys at once, at most: by default one per core. Each
 * such process computes on one JavaScript thread and keeps a database session busy, so beyond the
 * cores more processes only take turns on them, and every round trip then waits for a core: on 2
 * cores 8 workers of a trivial make did 0.4–0.6× the keys per second of one. `RG_HOST_SLOTS` in
 * the environment sets it for every process of a deployment (a number, or `Infinity`); populate's
 * `hostSlots` option for one call.
 *
 * @example
 * ```ts
 * hostSlotsFor(undefined); // availableParallelism(), or RG_HOST_SLOTS when it is set
 * hostSlotsFor(Infinity);  // Infinity: no limit
 * ```
 */
export function hostSlotsFor(requested: number | undefined): number {
  if (requested !== undefined) return checked(requested, `populate's hostSlots (${String(requested)})`);
  const setting = process.env.RG_HOST_SLOTS?.trim();
  if (!setting) return availableParallelism();
  return checked(Number(setting), `RG_HOST_SLOTS="${setting}"`);
}

function checked(slots: number, where: string): number {
  if (slots === Infinity || (Number.isInteger(slots) && slots >= 1)) return slots;
  throw new PopulateError(`${where} is not a number of host slots: give a whole number of at least 1, or Infinity for no limit.`);
}

let users = 0;
let holding: Promise<SlotFile | undefined> | undefined;
/** When this process's turn with a slot began: it keeps the slot while it finds work, for a while. */
let turnStarted: number | undefined;
const files = new Map<number, SlotFile>();
let waitingFile: (SlotFile & { prepare(sql: string): { get(): unknown } }) | undefined | null;

/**
 * Takes one of the host's `slots` for this process, waiting while other processes hold them all
 * (a `signal` that aborts ends the wait, without a slot).
 * A process holds at most one slot, shared by its populate lanes and by populates nested in a
 * make: it runs JavaScript on one thread. The slots are exclusive locks on files in the user's
 * temporary directory (SQLite's, through better-sqlite3), which the operating system drops when a
 * process dies, so a crashed worker never keeps its slot, and a process that has waited
 * {@link STUCK_MS} goes ahead without one. A process that gives its slot back and
 * takes it again at once keeps its turn (its claims follow each other without a gap) until the
 * turn has lasted {@link TURN_MS} and another process is waiting; it then steps aside, so that
 * waiting workers, or a populate of another table, get their turn. Where the files cannot be made
 * (a read-only temporary directory) nothing is limited: slots pace work, they do not guard data.
 *
 * @example
 * ```ts
 * const slot = await takeHostSlot(hostSlotsFor(undefined));
 * try { await makeSomeKeys(); } finally { slot.release(); }
 * ```
 */
export async function takeHostSlot(slots: number, signal?: AbortSignal): Promise<HostSlot> {
  if (slots === Infinity) return { release: () => undefined };
  users++;
  holding ??= nextTurn(slots, signal);
  try {
    await holding;
  } catch (error) {
    giveBack();
    throw error;
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      giveBack();
    },
  };
}

function giveBack(): void {
  users--;
  if (users > 0) return;
  const held = holding;
  holding = undefined;
  void held?.then((file) => file?.exec('ROLLBACK'), () => undefined);
}

/** How long a process keeps its slot while others wait, in milliseconds. */
const TURN_MS = 2_000;
/** The longest pause between two rounds of tries while every slot is held. */
const MOST_WAIT_MS = 50;
/**
 * A wait after which a process goes ahead without a slot. Holders give way within TURN_MS when
 * others wait, unless they are stuck (a make that hangs, a stopped process): those must not
 * stop the host's other workers for good.
 */
const STUCK_MS = 30_000;

async function nextTurn(slots: number, signal: AbortSignal | undefined): Promise<SlotFile | undefined> {
  if (turnStarted !== undefined && Date.now() - turnStarted > TURN_MS && othersWait()) {
    // Longer than a waiting process's pause between tries, so one of them finds the slot free.
    await pause(2 * MOST_WAIT_MS);
    turnStarted = undefined;
  }
  const { file, waited } = await lockOneOf(slots, signal);
  if (waited || turnStarted === undefined) turnStarted = Date.now();
  return file;
}

function slotDirectory(): string {
  return path.join(tmpdir(), `rg-schema-host-slots-${process.getuid?.() ?? 'user'}`);
}

/**
 * Whether another process waits for a slot: waiting processes hold a shared lock on a file of
 * their own, so an exclusive one cannot be had.
 */
function othersWait(): boolean {
  if (!waitingFile) return false;
  try {
    waitingFile.exec('BEGIN EXCLUSIVE');
    waitingFile.exec('ROLLBACK');
    return false;
  } catch {
    return true;
  }
}

/** A slot's file, locked; none when slots cannot be had here, the wait was stopped, or it took STUCK_MS. */
async function lockOneOf(slots: number, signal: AbortSignal | undefined): Promise<{ file: SlotFile | undefined; waited: boolean }> {
  const directory = slotDirectory();
  let Database: typeof import('better-sqlite3');
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    Database = (await import('better-sqlite3')).default;
    waitingFile ??= new Database(path.join(directory, 'waiting.lock'), { timeout: 0 });
  } catch {
    return { file: undefined, waited: false };
  }
  let waiting = false;
  const since = Date.now();
  try {
    for (let wait = 1; Date.now() - since < STUCK_MS && !signal?.aborted; wait = Math.min(2 * wait, MOST_WAIT_MS)) {
      for (let k = 0; k < slots; k++) {
        let file = files.get(k);
        try {
          if (!file) {
            file = new Database(path.join(directory, `slot-${k}.lock`), { timeout: 0 });
            files.set(k, file);
          }
          // Still held for a taker that gave up before its lock came: not free.
          if (file.inTransaction) continue;
          file.exec('BEGIN EXCLUSIVE');
          return { file, waited: waiting };
        } catch (error) {
          if ((error as { code?: string }).code !== 'SQLITE_BUSY') return { file: undefined, waited: waiting };
        }
      }
      if (!waiting) waiting = markWaiting();
      // Random pauses, so that waiting processes do not all try at the same instants.
      await pause(wait * (0.5 + Math.random()));
    }
    return { file: undefined, waited: true };
  } finally {
    if (waiting && waitingFile?.inTransaction) waitingFile.exec('COMMIT');
  }
}

/** A shared lock on the waiting file (a read transaction), which tells holders someone waits. */
function markWaiting(): boolean {
  try {
    waitingFile!.exec('BEGIN');
    waitingFile!.prepare('SELECT count(*) FROM sqlite_master').get();
    return true;
  } catch {
    // A holder is checking at this instant: marked on the next round.
    if (waitingFile!.inTransaction) waitingFile!.exec('ROLLBACK');
    return false;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

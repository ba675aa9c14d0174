import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PopulateError } from '../../errors.js';
import { usableWholeCores } from '../util/usable-cores.js';

/** What of a better-sqlite3 Database a slot needs: its file lock, taken and given back by SQL. */
interface SlotFile {
  exec(sql: string): unknown;
  close(): unknown;
  readonly inTransaction: boolean;
}

/** How a process waits for a slot. */
export interface SlotWait {
  /** Ends the wait, without a slot. */
  readonly signal?: AbortSignal;
  /** Asked now and then while waiting: false ends the wait, without a slot (nothing left to do). */
  readonly stillWanted?: () => Promise<boolean>;
  /**
   * How often to ask `stillWanted`, in milliseconds (default 100; at least 500 while the slots'
   * directory is watched, as news then makes it ask at once). A waiter that asks late stays on
   * after the last keys are made: on a short populate that tail is what more workers cost.
   */
  readonly askEveryMs?: number;
}

/** A slot this process holds; `release()` gives it back (once; later calls do nothing). */
export interface HostSlot {
  /** False when the wait ended because `stillWanted` answered no: nothing is left to take. */
  readonly wanted: boolean;
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
 * hostSlotsFor(undefined); // the usable cores (affinity, a cgroup's CPU quota), or RG_HOST_SLOTS when it is set
 * hostSlotsFor(Infinity);  // Infinity: no limit
 * ```
 */
export function hostSlotsFor(requested: number | undefined): number {
  if (requested !== undefined) return checked(requested, `populate's hostSlots (${String(requested)})`);
  const setting = process.env.RG_HOST_SLOTS?.trim();
  if (!setting) return usableWholeCores();
  return checked(Number(setting), `RG_HOST_SLOTS="${setting}"`);
}

function checked(slots: number, where: string): number {
  if (slots === Infinity || (Number.isInteger(slots) && slots >= 1)) return slots;
  throw new PopulateError(`${where} is not a number of host slots: give a whole number of at least 1, or Infinity for no limit.`);
}

let users = 0;
/** The file locked for this process's slot (the slot's number beside it); kept while idle until the event loop turns. */
let lock: SlotFile | undefined;
let lockIndex = 0;
/**
 * The taking of a turn under way (or done): takers of this process wait on the same one. It
 * answers whether the turn is still wanted (see SlotWait.stillWanted).
 */
let holding: Promise<boolean> | undefined;
/** Whose `stillWanted` the turn under way asks. */
let holdingAsker: SlotWait['stillWanted'];
let idleRelease: NodeJS.Immediate | undefined;
/** When this process's turn with a slot began: it keeps the slot while it finds work, for a while. */
let turnStarted: number | undefined;
const files = new Map<number, SlotFile>();
let waitingFile: (SlotFile & { prepare(sql: string): { get(): unknown } }) | undefined;

/**
 * Takes one of the host's `slots` for this process, waiting while other processes hold them all
 * (a `signal` that aborts, or `stillWanted` answering false, ends the wait, without a slot).
 * Given as a function, the number is asked again at every round of the wait, so a waiter can
 * widen its wait when it learns the work is worth more slots.
 * A process holds at most one slot, shared by its populate lanes and by populates nested in a
 * make: it runs JavaScript on one thread. The slots are exclusive locks on files in the user's
 * temporary directory (SQLite's, through better-sqlite3), which the operating system drops when a
 * process dies, so a crashed worker never keeps its slot, and a process that has waited
 * {@link STUCK_MS} goes ahead without one. A slot given back is kept until the event loop turns,
 * so a worker's claims follow each other without giving it up, and the process keeps its turn
 * until the turn has lasted {@link TURN_MS} and another process is waiting; it then steps aside,
 * so that waiting workers, or a populate of another table, get their turn. Where the files cannot
 * be made (a read-only temporary directory) nothing is limited: slots pace work, they do not
 * guard data.
 *
 * @example
 * ```ts
 * const slot = await takeHostSlot(hostSlotsFor(undefined));
 * try { await makeSomeKeys(); } finally { slot.release(); }
 * ```
 */
export async function takeHostSlot(slots: number | (() => number), options: SlotWait = {}): Promise<HostSlot> {
  const count = typeof slots === 'number' ? () => slots : slots;
  if (count() === Infinity) return { wanted: true, release: () => undefined };
  users++;
  if (idleRelease) {
    clearImmediate(idleRelease);
    idleRelease = undefined;
  }
  // The first taker of a turn takes it, after any taking still under way (one lock at a time).
  if (users === 1) {
    holdingAsker = options.stillWanted;
    holding = (holding ?? Promise.resolve(true)).catch(() => true).then(() => nextTurn(count, options));
  }
  let wanted: boolean;
  try {
    wanted = await holding!;
    // The turn's wait asked another taker's question (a populate of another table in this
    // process): its "nothing left" is not this one's.
    if (!wanted && options.stillWanted !== holdingAsker) wanted = options.stillWanted ? await options.stillWanted() : true;
  } catch (error) {
    giveBack();
    throw error;
  }
  let released = false;
  return {
    wanted,
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
  idleRelease = setImmediate(() => {
    idleRelease = undefined;
    if (users === 0) unlock();
  });
  idleRelease.unref();
}

function unlock(): void {
  if (!lock) return;
  if (lock.inTransaction) lock.exec('ROLLBACK');
  lock = undefined;
  announce('slot-free');
}

/**
 * How long a process keeps its slot while others wait, in milliseconds: long beside what a turn's
 * handover costs (the next process's first claims, its code not yet compiled hot).
 */
const TURN_MS = 5_000;
/** How often a waiting process asks whether there is still work for it, unless told otherwise. */
const ASK_EVERY_MS = 100;
/** The longest pause between two rounds of tries while every slot is held. */
const MOST_WAIT_MS = 50;
/**
 * The same two while the slots' directory is watched for news: news comes when a slot is given
 * back, a table's keys are all claimed or its makes found heavy, so waiters only need to ask now
 * and then for what gives none (a holder that died, keys scheduled for later, another host's
 * work). On 2 cores seven waiters asking every 100 ms took a fifth of a core from the worker.
 */
const NEWS_ASK_EVERY_MS = 500;
const NEWS_MOST_WAIT_MS = 250;
/**
 * A wait after which a process goes ahead without a slot. Holders give way within TURN_MS when
 * others wait, unless they are stuck (a make that hangs, a stopped process): those must not
 * stop the host's other workers for good.
 */
const STUCK_MS = 30_000;

async function nextTurn(slots: () => number, options: SlotWait): Promise<boolean> {
  // A slot beyond those now asked for (a populate that found its makes need fewer) is given up.
  if (lock && lockIndex >= slots()) unlock();
  if (lock && turnStarted !== undefined && Date.now() - turnStarted > TURN_MS && othersWait()) {
    unlock();
    // Longer than a waiting process's pause between tries (news of the slot wakes them at once
    // where the directory can be watched; where it is watched but tells nothing, as on some
    // network file systems, they try every 250 ms at most), so one of them finds the slot free.
    await pause(3 * NEWS_MOST_WAIT_MS);
    turnStarted = undefined;
  }
  let wanted = true;
  if (!lock) {
    const { file, index, waited, unwanted } = await lockOneOf(slots, options);
    lock = file;
    lockIndex = index;
    wanted = !unwanted;
    if (waited || turnStarted === undefined) turnStarted = Date.now();
  }
  // Every taker gave up while this turn was being taken: not kept for nobody.
  if (users === 0) unlock();
  return wanted;
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
async function lockOneOf(slots: () => number, { signal, stillWanted, askEveryMs = ASK_EVERY_MS }: SlotWait): Promise<{ file: SlotFile | undefined; index: number; waited: boolean; unwanted?: boolean }> {
  const directory = slotDirectory();
  let Database: typeof import('better-sqlite3');
  try {
    // Made anew (it was removed): the files open in the old one lock nothing other processes
    // see, and a watcher of it hears nothing more.
    if (mkdirSync(directory, { recursive: true, mode: 0o700 }) !== undefined) {
      stopWatchingNews();
      for (const file of files.values()) file.close();
      files.clear();
      waitingFile?.close();
      waitingFile = undefined;
    }
    Database = (await import('better-sqlite3')).default;
    waitingFile ??= new Database(path.join(directory, 'waiting.lock'), { timeout: 0 });
  } catch {
    return { file: undefined, index: 0, waited: false };
  }
  let waiting = false;
  const since = Date.now();
  let asked = since;
  // Asked once the wait begins: news written before this process watched was not heard.
  let askNow = true;
  const watching = watchNews(directory);
  const askEvery = watching ? Math.max(askEveryMs, NEWS_ASK_EVERY_MS) : askEveryMs;
  const mostWait = watching ? NEWS_MOST_WAIT_MS : MOST_WAIT_MS;
  try {
    for (let wait = 1; Date.now() - since < STUCK_MS && !signal?.aborted; wait = Math.min(2 * wait, mostWait)) {
      // News that comes while this round tries and asks ends its pause at once.
      const heardBefore = newsHeard;
      // Asked each round: a waiter's count can grow while it waits (see shareMakeWeight).
      for (let k = 0, n = slots(); k < n; k++) {
        let file = files.get(k);
        try {
          if (!file) {
            file = new Database(path.join(directory, `slot-${k}.lock`), { timeout: 0 });
            files.set(k, file);
          }
          file.exec('BEGIN EXCLUSIVE');
          return { file, index: k, waited: waiting };
        } catch (error) {
          if ((error as { code?: string }).code !== 'SQLITE_BUSY') return { file: undefined, index: 0, waited: waiting };
        }
      }
      if (!waiting) waiting = markWaiting();
      // A worker waiting for a slot while the others finish the last keys would wait for nothing.
      if (stillWanted && (askNow || Date.now() - asked >= askEvery)) {
        asked = Date.now();
        askNow = false;
        if (!(await stillWanted())) return { file: undefined, index: 0, waited: true, unwanted: true };
      }
      // Random pauses, so that waiting processes do not all try at the same instants; none
      // past the next question. News (a slot given back, a table's keys all claimed, its makes
      // found heavy) ends the pause at once, and is asked about.
      const untilAsked = stillWanted ? Math.max(1, askEvery - (Date.now() - asked)) : Infinity;
      if (newsHeard !== heardBefore || await pauseUnlessNews(Math.min(wait * (0.5 + Math.random()), untilAsked))) {
        askNow = true;
        wait = 0.5;
      }
    }
    return { file: undefined, index: 0, waited: true };
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

/**
 * What the makes of one table weigh, as measured by a process of this host that made some:
 * `light` makes hardly compute, and on SQLite take turns on one slot (their work is the file's
 * write lock); `heavy` ones use all the host's slots.
 */
export type MakeWeight = 'light' | 'heavy';

function tableTag(table: string): string {
  return createHash('sha256').update(table).digest('hex').slice(0, 24);
}

function weightFile(table: string): string {
  return path.join(slotDirectory(), `${NEWS}weight-${tableTag(table)}`);
}

/**
 * Tells the host's processes waiting for a slot that no key of one table is left to claim: they
 * ask at once, instead of at their next question, and those of that table leave.
 */
export function announceNoKeysLeft(table: string): void {
  announce(`keys-gone-${tableTag(table)}`);
}

/** Files of the slots' directory whose change wakes its waiting processes. */
const NEWS = 'news-';

function announce(what: string): void {
  try {
    writeFileSync(path.join(slotDirectory(), `${NEWS}${what}`), String(Date.now()));
  } catch {
    // No directory, or one that cannot be written: waiters still ask now and then.
  }
}

let newsWatcher: FSWatcher | undefined;
const newsListeners = new Set<() => void>();
/** News heard since this process began watching: a round notes it, so none is lost between pauses. */
let newsHeard = 0;

/** Watches the slots' directory for news (inotify on Linux): waiting then costs nothing. True when watched. */
function watchNews(directory: string): boolean {
  if (newsWatcher) return true;
  try {
    const watcher = watch(directory, (_event, name) => {
      if (name !== null && !String(name).startsWith(NEWS)) return;
      newsHeard++;
      for (const listener of [...newsListeners]) listener();
    });
    watcher.unref();
    // The directory removed (a temporary-directory cleaner): the next wait watches it anew.
    watcher.on('error', () => {
      watcher.close();
      if (newsWatcher === watcher) newsWatcher = undefined;
    });
    newsWatcher = watcher;
    return true;
  } catch {
    // A file system that cannot be watched: waiters pause and ask as they would without news.
    return false;
  }
}

function stopWatchingNews(): void {
  newsWatcher?.close();
  newsWatcher = undefined;
}

/** Pauses `ms`, or until news comes; true when news ended it. */
function pauseUnlessNews(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const heard = (): void => {
      clearTimeout(timer);
      newsListeners.delete(heard);
      resolve(true);
    };
    const timer = setTimeout(() => {
      newsListeners.delete(heard);
      resolve(false);
    }, ms);
    newsListeners.add(heard);
  });
}

/**
 * Tells the host's other processes what one table's makes weigh. A process that waits for a slot
 * has made no key, so it cannot know; without a word from one that has, it counts its makes light.
 * `table` names the table uniquely on this host (its database file and name).
 *
 * @example
 * ```ts
 * shareMakeWeight('/data/lab.sqlite\0main\0__sta', 'heavy');
 * sharedMakeWeight('/data/lab.sqlite\0main\0__sta'); // 'heavy', in any process of this user
 * ```
 */
export function shareMakeWeight(table: string, weight: MakeWeight): void {
  const file = weightFile(table);
  const written = path.join(path.dirname(file), `tmp-${process.pid}-weight`);
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(written, weight);
    // Renamed into place, so a reader never sees half a word.
    renameSync(written, file);
  } catch {
    // A temporary directory that cannot be written: slots limit nothing there either.
  }
}

/** What another process of this host found one table's makes to weigh; undefined before any said. */
export function sharedMakeWeight(table: string): MakeWeight | undefined {
  try {
    const weight = readFileSync(weightFile(table), 'utf8');
    return weight === 'light' || weight === 'heavy' ? weight : undefined;
  } catch {
    return undefined;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

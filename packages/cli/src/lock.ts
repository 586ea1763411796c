/**
 * The lock on a model directory: one training run writes a directory at a time.
 *
 * The lock is the file `.shardprop.lock` in the directory, created exclusively (`O_EXCL`, atomic on local file
 * systems) and holding its owner: pid, host name, command and start time. A second run finds it and stops at
 * once, naming the owner. A lock whose owner is gone (same host, no process with its pid: the run was killed
 * with SIGKILL, or the machine went down) is stale and is taken over; a helper file taken the same way,
 * `.shardprop.lock.break`, makes sure only one of several starting runs removes it. The lock is released when
 * the run ends (`release`, also through `await using`) and, whatever ends the process (an error, a second Ctrl-C,
 * `process.exit`), from its 'exit' event.
 *
 * Why not a lock library: proper-lockfile and its kind detect staleness by a timestamp the owner refreshes
 * from a timer, which a CPU-bound training step can starve; a pid check is exact on one host. (A lock file on a
 * network file system shared by several hosts is only as good as that file system's O_EXCL.)
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processExists } from '@shardprop/core/node';
import { dataError } from './errors.js';

/** The lock file's name inside the model directory. */
export const LOCK_FILE = '.shardprop.lock';

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** e.g. `shardprop train`. */
  command: string;
  /** ISO 8601. */
  started: string;
}

/** A held lock. */
export interface ModelDirLock extends AsyncDisposable {
  readonly path: string;
  /** Removes the lock file (once; later calls do nothing). */
  release(): void;
}

/** A break file older than this was left by a run killed while breaking a stale lock (it takes microseconds). */
const BREAK_STALE_MS = 10_000;
/** A lock file this young may still be being written by its owner; an unreadable older one is stale. */
const UNREADABLE_STALE_MS = 10_000;
const ATTEMPTS = 5;

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function readOwner(path: string): LockOwner | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (code(e) === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    if (Number.isInteger(o.pid) && typeof o.hostname === 'string' && typeof o.started === 'string') return o;
  } catch {
    /* written only partly, or not by us */
  }
  return 'unreadable';
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isStale(owner: LockOwner | 'unreadable', path: string): boolean {
  if (owner === 'unreadable') return ageMs(path) > UNREADABLE_STALE_MS;
  return owner.hostname === hostname() && owner.pid !== process.pid && !processExists(owner.pid);
}

function sameOwner(a: LockOwner | 'gone' | 'unreadable', b: LockOwner | 'unreadable'): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.pid === b.pid && a.hostname === b.hostname && a.started === b.started;
}

/** Removes the stale lock at `path` if it still holds `stale`; only one process at a time gets to. */
function breakStale(path: string, stale: LockOwner | 'unreadable'): void {
  const breakPath = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breakPath, 'wx');
  } catch (e) {
    if (code(e) !== 'EEXIST') throw e;
    if (ageMs(breakPath) > BREAK_STALE_MS) unlinkSync(breakPath);
    return;
  }
  closeSync(fd);
  try {
    if (sameOwner(readOwner(path), stale)) unlinkSync(path);
  } finally {
    unlinkSync(breakPath);
  }
}

/** `08:31:02` today, `2026-12-01 08:31:02` another day (local time). */
function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

function inUse(shown: string, owner: LockOwner | 'unreadable', path: string): Error {
  if (owner === 'unreadable') {
    return dataError(`${shown} is in use by another run (${path} was just created); wait for it or pick another --out`);
  }
  const host = owner.hostname === hostname() ? '' : ` on ${owner.hostname}`;
  return dataError(
    `${shown} is in use by pid ${owner.pid}${host} (${owner.command}, started ${when(owner.started)}); wait for it or pick another --out`,
  );
}

/**
 * Takes the lock on the model directory `dir` (creating the directory if needed), or fails at once.
 *
 * @param command what the owner is, for the message a second run gets (`shardprop train`)
 * @param shown the directory as the user wrote it, for messages
 * @throws UserError (exit 1) `runs/x is in use by pid 1234 (shardprop train, started 08:31:02); wait for it or
 *   pick another --out`
 */
export function lockModelDir(dir: string, command: string, shown: string = dir): ModelDirLock {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (code(e) === 'EEXIST' || code(e) === 'ENOTDIR') {
      throw dataError(`${shown} is a file, not a model directory; pick another --out`);
    }
    throw dataError(`cannot create ${shown}: ${(e as Error).message}`);
  }
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), command, started: new Date().toISOString() };
  for (let attempt = 1; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw dataError(`cannot lock ${shown}: ${(e as Error).message}`);
      const holder = readOwner(path);
      if (holder === 'gone') continue;
      if (!isStale(holder, path) || attempt >= ATTEMPTS) throw inUse(shown, holder, path);
      breakStale(path, holder);
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(owner)}\n`);
    } finally {
      closeSync(fd);
    }
    break;
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own lock: never one that another run took over.
    if (sameOwner(readOwner(path), owner)) unlinkSync(path);
    if (created !== undefined) {
      try {
        rmdirSync(dir); // A directory this run created and never wrote to goes again.
      } catch {
        /* not empty: the run saved a model there */
      }
    }
  };
  process.on('exit', release);
  return {
    path,
    release,
    async [Symbol.asyncDispose]() {
      release();
    },
  };
}

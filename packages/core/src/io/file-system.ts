/**
 * The file-system steps a save is made of, and the one atomic single-file write (Node.js only).
 *
 * A save goes through a {@link SaveFileSystem}: every step that changes the disk (create, write, fsync, close,
 * rename, unlink, directory fsync) is one call. {@link nodeFileSystem} runs them on `node:fs/promises`; a caller
 * may pass another implementation (the crash-consistency tests pass one that fails at the k-th step, as a
 * crash or a full disk would, and check that the directory still loads).
 *
 * {@link writeFileAtomic} is the one way shardprop replaces a file: a new temporary file in the same directory
 * (`.<name>.<pid>.<random>.tmp`), written and flushed to disk, then renamed over the target and the directory
 * flushed. A failure at any point leaves the old file as it was; a reader sees the old or the new content,
 * never a mixture; a hard link to the old file keeps the old content (the name now points to a new inode).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A file being written: its content goes in with `write`, `sync` flushes it to disk. */
export interface WritableFile {
  write(data: Uint8Array | string): Promise<void>;
  /** fsync: the content is on disk when it resolves. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system operations of a save, one call per step. */
export interface SaveFileSystem {
  /** Creates a directory and its parents (no error when it exists). */
  mkdir(path: string): Promise<void>;
  /** The names in a directory. */
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates a new file (fails with `EEXIST` when `path` exists) and opens it for writing. */
  create(path: string): Promise<WritableFile>;
  /** Atomically replaces `to` by `from`. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory: its entries (new names, renames, removals) are on disk when it resolves. */
  syncDir(path: string): Promise<void>;
}

/** {@link SaveFileSystem} on `node:fs/promises`. */
export const nodeFileSystem: SaveFileSystem = {
  async mkdir(path) {
    await mkdir(path, { recursive: true });
  },
  readdir: (path) => readdir(path),
  readFile: (path) => readFile(path),
  async create(path) {
    const fh = await open(path, 'wx', 0o644);
    return {
      write: async (data) => {
        await fh.writeFile(data);
      },
      sync: () => fh.sync(),
      close: () => fh.close(),
    };
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async syncDir(path) {
    // Opening a directory for fsync is not possible everywhere (Windows); durability is then the OS's business.
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, 'r');
    } catch {
      return;
    }
    try {
      await fh.sync();
    } catch (e) {
      if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes(errorCode(e) ?? '')) throw e;
    } finally {
      await fh.close();
    }
  },
};

export function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as { code?: string }).code : undefined;
}

/** The temporary name {@link writeFileAtomic} uses for `name`: `.<name>.<pid>.<random>.tmp`. */
export function tempFileName(name: string): string {
  return `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8,12}\.tmp$/;

/**
 * True when `file` is a temporary file of {@link writeFileAtomic} left behind by a process that is gone (killed
 * mid-write): its name carries the writer's pid, and no process has that pid now.
 */
export function isStaleTemp(file: string): boolean {
  const m = TEMP_NAME.exec(file);
  if (!m) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  return !processExists(pid);
}

/** Whether a process with this pid exists on this machine. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM';
  }
}

/**
 * Creates `path`, writes what `produce` passes to `write` (in order) and flushes it to disk; on failure (of a step
 * or of `produce`) removes what it created.
 */
async function writeNewFileFrom(
  fs: SaveFileSystem,
  path: string,
  produce: (write: (data: Uint8Array | string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const file = await fs.create(path);
  try {
    await produce((data) => file.write(data));
    await file.sync();
  } catch (e) {
    await file.close().catch(() => {});
    await fs.unlink(path).catch(() => {});
    throw e;
  }
  try {
    await file.close();
  } catch (e) {
    await fs.unlink(path).catch(() => {});
    throw e;
  }
}

/** Creates `path`, writes `data` and flushes it to disk; on failure removes what it created. */
export async function writeNewFile(fs: SaveFileSystem, path: string, data: Uint8Array | string): Promise<void> {
  await writeNewFileFrom(fs, path, (write) => write(data));
}

/**
 * Replaces (or creates) the file `path` atomically with what `produce` passes to `write`, in order: a temporary
 * file in the same directory, flushed to disk, renamed over `path`, then the directory flushed. If anything fails,
 * `produce` included, the temporary file is removed (best effort) and `path` is as it was. For output made piece
 * by piece (e.g. predictions, block by block) without holding it all in memory.
 *
 * @param fs the file system to go through (default: Node's)
 * @throws the file system's error (e.g. `ENOENT` when the directory does not exist, `ENOSPC`), or `produce`'s
 */
export async function writeStreamAtomic(
  path: string,
  produce: (write: (data: Uint8Array | string) => Promise<void>) => Promise<void>,
  fs: SaveFileSystem = nodeFileSystem,
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, tempFileName(basename(path)));
  await writeNewFileFrom(fs, tmp, produce);
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.unlink(tmp).catch(() => {});
    throw e;
  }
  await fs.syncDir(dir);
}

/**
 * Replaces (or creates) the file `path` atomically with `data`: {@link writeStreamAtomic} with one piece.
 *
 * @param fs the file system to go through (default: Node's)
 * @throws the file system's error (e.g. `ENOENT` when the directory does not exist, `ENOSPC`)
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  fs: SaveFileSystem = nodeFileSystem,
): Promise<void> {
  await writeStreamAtomic(path, (write) => write(data), fs);
}

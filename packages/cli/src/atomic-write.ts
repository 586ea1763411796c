/**
 * A file written piece by piece and replaced atomically: the pieces go to a temporary file in the same directory,
 * which is flushed to disk and renamed over the target only when all of them are written. A reader sees the old
 * file or the new one, never a part; on a failure (a full disk, an error while producing the pieces) the target
 * is left as it was and the temporary file removed.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes to `path` what `produce` passes to `write`, in order, then replaces `path` in one rename. */
export async function writeStreamAtomic(
  path: string,
  produce: (write: (text: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await produce(async (text) => {
      // writeFile, not write: write() may write only part of the text (a short write at a file-size limit or a
      // full disk) and return; writeFile loops until all of it is written, or throws (EFBIG, ENOSPC).
      await fh.writeFile(text);
    });
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (error) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

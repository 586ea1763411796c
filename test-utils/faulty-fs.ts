// A SaveFileSystem that fails at its k-th disk-changing step, for crash-consistency tests: every step that
// changes the disk (mkdir, create, write, fsync, close, rename, unlink, directory fsync) is counted, and step
// `failAt` throws. In 'crash' mode the process is as if killed there: a failing write leaves half its data
// (a torn write) and every later call fails, so no clean-up runs. In 'error' mode only that step fails (a full
// disk, an I/O error) and the caller's own clean-up runs.
import { nodeFileSystem, type SaveFileSystem, type WritableFile } from '../packages/core/src/io/file-system.js';

export type FaultMode = 'crash' | 'error';

export class FaultyFileSystem implements SaveFileSystem {
  /** The steps taken so far, e.g. `rename .model.json.123.ab.tmp -> model.json`. */
  readonly steps: string[] = [];
  private dead = false;
  private readonly open: WritableFile[] = [];

  constructor(
    private readonly failAt = Number.POSITIVE_INFINITY,
    private readonly mode: FaultMode = 'crash',
  ) {}

  /** Counts a step; true when this step is the one to fail. */
  private step(what: string): boolean {
    this.alive();
    this.steps.push(what);
    if (this.steps.length !== this.failAt) return false;
    if (this.mode === 'crash') this.dead = true;
    return true;
  }

  private alive(): void {
    if (this.dead) throw new Error('the process is gone');
  }

  private fault(): Error {
    return Object.assign(new Error(`EIO: injected fault at step ${this.failAt} (${this.steps.at(-1)})`), {
      code: 'EIO',
    });
  }

  /** Closes what a crash left open (the kernel would). */
  async closeAll(): Promise<void> {
    for (const f of this.open.splice(0)) await f.close().catch(() => {});
  }

  async mkdir(path: string): Promise<void> {
    if (this.step(`mkdir ${base(path)}`)) throw this.fault();
    await nodeFileSystem.mkdir(path);
  }

  async readdir(path: string): Promise<string[]> {
    this.alive();
    return nodeFileSystem.readdir(path);
  }

  async readFile(path: string): Promise<Uint8Array> {
    this.alive();
    return nodeFileSystem.readFile(path);
  }

  async create(path: string): Promise<WritableFile> {
    if (this.step(`create ${base(path)}`)) throw this.fault();
    const file = await nodeFileSystem.create(path);
    this.open.push(file);
    const name = base(path);
    return {
      write: async (data) => {
        if (this.step(`write ${name}`)) {
          const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
          await file.write(bytes.subarray(0, bytes.length >> 1));
          throw this.fault();
        }
        await file.write(data);
      },
      sync: async () => {
        if (this.step(`fsync ${name}`)) throw this.fault();
        await file.sync();
      },
      close: async () => {
        if (this.step(`close ${name}`)) throw this.fault();
        this.open.splice(this.open.indexOf(file), 1);
        await file.close();
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.step(`rename ${base(from)} -> ${base(to)}`)) throw this.fault();
    await nodeFileSystem.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    if (this.step(`unlink ${base(path)}`)) throw this.fault();
    await nodeFileSystem.unlink(path);
  }

  async syncDir(path: string): Promise<void> {
    if (this.step(`fsync dir ${base(path)}`)) throw this.fault();
    await nodeFileSystem.syncDir(path);
  }
}

function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// Stop signals: SIGTERM and SIGHUP stop training like Ctrl-C (finish the step, checkpoint, status interrupted,
// resume hint, exit 128 + the signal's number), and a second signal exits at once.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, nextEpoch, readDataFile, tempDir } from './helpers.js';

const dir = tempDir();

interface Stopped {
  code: number | null;
  stderr: string;
}

/**
 * Runs `train` and, once the first epoch's checkpoint is on disk, calls `act` with the child and a function that
 * resolves when stderr matches a pattern.
 */
function trainAndSignal(
  args: string[],
  out: string,
  act: (child: ChildProcess, stderrMatches: (pattern: RegExp) => Promise<void>) => void | Promise<void>,
): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'train', ...args, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const waiting: { pattern: RegExp; resolve: () => void }[] = [];
    child.stderr.on('data', (d) => {
      stderr += d;
      for (const w of waiting.splice(0)) {
        if (w.pattern.test(stderr)) w.resolve();
        else waiting.push(w);
      }
    });
    const stderrMatches = (pattern: RegExp) =>
      new Promise<void>((res) => (pattern.test(stderr) ? res() : waiting.push({ pattern, resolve: res })));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stderr });
    });
    const poll = setInterval(() => {
      if ((nextEpoch(out) ?? 0) >= 1) {
        clearInterval(poll);
        Promise.resolve(act(child, stderrMatches)).catch(reject);
      }
    }, 10);
  });
}

describe('stop signals', () => {
  const csv = join(dir, 'small.csv');
  const rows = ['a,b,y'];
  for (let i = 0; i < 300; i++) rows.push(`${(i % 17) / 17},${(i % 5) / 5},${((i % 17) / 17 + (i % 5) / 5) / 2}`);
  writeFileSync(csv, `${rows.join('\n')}\n`);
  const common = ['--data', csv, '--layers', '4,4,1', '--optimizer', 'adam', '--lr', '0.01', '--batch-size', '8'];

  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s stops like Ctrl-C: checkpoint, status interrupted, resume hint, exit %i; the resumed run is bit-exact',
    async (sig, code) => {
      const out = join(dir, `stopped-${sig}`);
      // Many epochs: the signal arrives long before the end.
      const stopped = await trainAndSignal([...common, '--epochs', '100000', '--threads', '2'], out, (child) => {
        child.kill(sig);
      });
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(stopped.stderr).toContain(
        `shardprop: ${sig}: stopping after the current step (a second signal quits at once)`,
      );
      expect(stopped.stderr).toMatch(
        new RegExp(
          `interrupted in epoch \\d+ by ${sig}; .* holds the checkpoint after epoch \\d+\\nresume with: shardprop train --resume `,
        ),
      );
      expect(stopped.stderr).not.toMatch(/\n\s+at /);
      const saved = nextEpoch(out) as number;
      const inspect = JSON.parse((await cli(['inspect', '--model', out, '--json'])).stdout);
      expect(inspect.training).toMatchObject({ status: 'interrupted', nextEpoch: saved });

      // Resumed to two more epochs, it equals a run of that length from the start.
      expect((await cli(['train', '--resume', out, '--epochs', String(saved + 2)])).code).toBe(0);
      const straight = join(dir, `straight-${sig}`);
      const full = await cli(['train', ...common, '--epochs', String(saved + 2), '--threads', '1', '--out', straight]);
      expect(full.code).toBe(0);
      expect(readDataFile(out, 'weights').equals(readDataFile(straight, 'weights'))).toBe(true);
    },
    90_000,
  );

  it.each([
    ['SIGINT', 'SIGINT', 130, 'Ctrl-C'],
    ['SIGTERM', 'SIGINT', 130, 'Ctrl-C'],
  ] as const)(
    'a second signal exits at once, in the middle of the step the first one waits for (%s, then %s)',
    async (first, second, code, name) => {
      const out = join(dir, `twice-${first}`);
      // One step per epoch that takes about a second: the second signal lands while it runs, so a run that
      // ignored it would finish the step and print the resume hint.
      const args = ['--layers', '512,512,1', '--batch-size', '10000', '--epochs', '50', '--threads', '2'];
      const stopped = await trainAndSignal(args, out, async (child, stderrMatches) => {
        child.kill(first);
        await stderrMatches(/stopping after the current step/);
        child.kill(second);
      });
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(stopped.stderr).toContain(`shardprop: ${name} again, exiting now`);
      expect(stopped.stderr).not.toContain('resume with:');
      expect(stopped.stderr).not.toMatch(/\n\s+at /);
    },
    90_000,
  );
});

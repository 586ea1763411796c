/**
 * How every bench script starts when run as a program: its arguments without the `--` that `pnpm bench:x -- ...`
 * passes through, one line on stderr for an error, and an explicit exit (worker pools and tfjs keep no handles
 * open, but a stray timer must not hold the process).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs `main` when the module at `moduleUrl` is the program Node was started with; otherwise does nothing. */
export function runAsProgram(moduleUrl: string, name: string, main: (argv: string[]) => Promise<void>): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'))).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

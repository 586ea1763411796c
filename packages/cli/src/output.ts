/**
 * Where output goes. Human-readable text goes to stdout; with `--json` stdout carries exactly one JSON document
 * (written by `printJson`) and everything else is suppressed or sent to stderr.
 */

export interface Output {
  json: boolean;
  /** A line of human-readable output (suppressed with --json). */
  line(text?: string): void;
  /** A note on stderr (kept with --json, e.g. where the model was written). */
  note(text: string): void;
  /** The one JSON document of a --json run. */
  printJson(value: unknown): void;
  /** Whether colours may be used on stdout. */
  color: boolean;
}

export function createOutput(json: boolean): Output {
  const color = !json && process.stdout.isTTY === true && !process.env.NO_COLOR;
  return {
    json,
    color,
    line(text = '') {
      if (!json) process.stdout.write(`${text}\n`);
    },
    note(text) {
      process.stderr.write(`${text}\n`);
    },
    printJson(value) {
      process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    },
  };
}

/** Non-finite numbers become null in JSON (as JSON.stringify does) and typed arrays become arrays. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** A fixed-width text table. Numbers are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const numeric = header.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number'));
  const fmt = (r: string[]) =>
    r
      .map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [fmt(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)].join('\n');
}

/**
 * How an error message shows a bad value, the same everywhere in the core: strings quoted, numbers as JavaScript
 * prints them (`NaN`, `-Infinity`), objects and arrays as JSON, cut to 80 characters so that a huge value cannot
 * flood the message. (worker-pool keeps its own one-liner: it imports no project package.)
 */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === undefined || typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (typeof value === 'function' || typeof value === 'symbol') text = typeof value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

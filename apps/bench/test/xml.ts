/**
 * A small well-formedness check for the SVG the report writes (no XML parser among the dependencies): every
 * tag closes in order, attribute values are quoted, and text holds no bare `<` or unescaped `&`.
 */
export function checkWellFormedXml(text: string): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt === -1 ? text.slice(i) : text.slice(i, lt);
    const badAmp = /&(?!(?:amp|lt|gt|quot|apos|#\d+);)/.exec(chunk);
    if (badAmp) errors.push(`unescaped & near ${JSON.stringify(chunk.slice(badAmp.index, badAmp.index + 12))}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (!m) {
      errors.push(`malformed tag at ${lt}: ${JSON.stringify(text.slice(lt, lt + 40))}`);
      break;
    }
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) errors.push(`</${name}> closes <${open}>`);
    } else if (!selfClosing) {
      stack.push(name);
    }
    i = tag.lastIndex;
  }
  if (stack.length) errors.push(`unclosed: ${stack.join(', ')}`);
  return errors;
}

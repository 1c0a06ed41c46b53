/**
 * A strict little XML reader for the tests: enough of XML 1.0 to reject what a browser's XML
 * parser would (unbalanced or crossed tags, unquoted or repeated attributes, a bare `<` or `&`,
 * unknown entities, more than one root) and to hand back the element tree.
 */
export interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

function checkText(s: string, where: number): string {
  if (s.includes('<')) throw new Error(`bare '<' at ${where}`);
  return s.replace(/&([^;]*);?/g, (m, ent: string) => {
    if (!m.endsWith(';')) throw new Error(`bare '&' at ${where}`);
    if (/^#\d+$/.test(ent) || /^#x[0-9a-fA-F]+$/.test(ent)) return '?';
    const known: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (!(ent in known)) throw new Error(`unknown entity &${ent}; at ${where}`);
    return known[ent];
  });
}

export function parseXml(src: string): El {
  let i = 0;
  if (src.startsWith('<?xml')) i = src.indexOf('?>') + 2;
  const stack: El[] = [];
  let root: El | undefined;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root at ${i}`);
    if (stack.length > 0) stack[stack.length - 1].text += checkText(text, i);
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (src[i + 1] === '/') {
      const m = NAME.exec(src.slice(i + 2));
      const name = m?.[0] ?? '';
      const close = src.indexOf('>', i);
      if (src.slice(i + 2 + name.length, close).trim() !== '') throw new Error(`junk in </${name}> at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> at ${i} closes <${open?.name ?? 'nothing'}>`);
      i = close + 1;
      continue;
    }
    const m = NAME.exec(src.slice(i + 1));
    if (!m) throw new Error(`bad tag at ${i}`);
    const el: El = { name: m[0], attrs: {}, children: [], text: '' };
    i += 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i))![0];
      i += ws.length;
      if (src.startsWith('/>', i)) { i += 2; break; }
      if (src[i] === '>') { i += 1; stack.push(el); break; }
      if (ws === '') throw new Error(`attributes of <${el.name}> need white space at ${i}`);
      const a = /^([A-Za-z_:][-A-Za-z0-9_:.]*)="([^"<]*)"/.exec(src.slice(i));
      if (!a) throw new Error(`bad attribute in <${el.name}> at ${i}: ${src.slice(i, i + 30)}`);
      if (a[1] in el.attrs) throw new Error(`repeated attribute ${a[1]} in <${el.name}>`);
      el.attrs[a[1]] = checkText(a[2], i);
      i += a[0].length;
    }
    if (stack.length === 0 || (stack.length === 1 && stack[0] === el)) {
      if (root) throw new Error(`a second root element <${el.name}> at ${i}`);
      root = el;
    } else {
      const parent = stack[stack.length - 1] === el ? stack[stack.length - 2] : stack[stack.length - 1];
      parent.children.push(el);
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

export function findAll(el: El, pred: (e: El) => boolean, out: El[] = []): El[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) findAll(c, pred, out);
  return out;
}

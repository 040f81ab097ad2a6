// A small XML reader for the tests of the observer's pictures: it throws on SVG that is not
// well-formed (unbalanced or misnested tags, a bad attribute, a stray `<` or `&`) and gives the
// element tree to query.
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITY = /&(?:lt|gt|amp|quot|apos|#\d+|#x[\da-fA-F]+);/g;
const decode = (s: string) =>
  s.replace(ENTITY, (e) => ({ "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'" })[e] ?? e);

function checkText(s: string): string {
  if (/[<>]/.test(s) || /&/.test(s.replace(ENTITY, "")))
    throw new Error(`not well-formed: ${JSON.stringify(s.slice(0, 80))}`);
  return decode(s);
}

export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const open = [root];
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>|<\?xml[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < xml.length) {
    token.lastIndex = at;
    if (!(m = token.exec(xml))) throw new Error(`not well-formed at ${at}: ${JSON.stringify(xml.slice(at, at + 60))}`);
    at = token.lastIndex;
    const [, closing, name, attrs, selfClosing, text] = m;
    const parent = open.at(-1)!;
    if (text !== undefined) parent.text += checkText(text);
    else if (closing) {
      if (parent.name !== name) throw new Error(`</${name}> closes <${parent.name}>`);
      open.pop();
    } else if (name) {
      const attributes: Record<string, string> = {};
      for (const [, key, value] of attrs!.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
        if (key! in attributes) throw new Error(`attribute ${key} twice on <${name}>`);
        attributes[key!] = checkText(value!);
      }
      const element: XmlElement = { name, attributes, children: [], text: "" };
      parent.children.push(element);
      if (!selfClosing) open.push(element);
    }
  }
  if (open.length !== 1) throw new Error(`<${open.at(-1)!.name}> is never closed`);
  if (root.children.length !== 1 || root.text.trim() !== "") throw new Error("not one root element");
  return root.children[0]!;
}

/** Every element under `e` (itself included) that `match` accepts, in document order. */
export function findAll(e: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  return [...(match(e) ? [e] : []), ...e.children.flatMap((c) => findAll(c, match))];
}

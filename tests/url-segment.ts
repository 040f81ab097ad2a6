// fast-check generators of a URL's last path segment, the quotes file's name: what RFC 3986 allows
// there (pchar and %XX escapes), shell specials among them, and what it does not.
import fc from "fast-check";

const pchar = fc.constantFrom(..."AZaz09-._~!$&'()*+,;=:@");
const hex = fc.constantFrom(..."0123456789abcdefABCDEF");
const pctEscape = fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`);
const other = fc.constantFrom(
  "%",
  "%Z",
  "%ZZ",
  "%2",
  "#",
  "?",
  " ",
  "/",
  "\\",
  '"',
  "<",
  "[",
  "]",
  "{",
  "}",
  "^",
  "`",
  "|",
  "é",
  "\n",
);

/** A segment of RFC 3986 path characters and well-formed escapes. */
export const wellFormedSegment = fc.string({ unit: fc.oneof(pchar, pctEscape), minLength: 1 });

/** Well-formed, well-formed but starting with '-' (fortune's options), or with anything else mixed in. */
export const segment = fc.oneof(
  wellFormedSegment,
  wellFormedSegment.map((s) => `-${s}`),
  fc.string({ unit: fc.oneof(pchar, pctEscape, other), minLength: 1 }),
);

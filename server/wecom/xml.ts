import { XMLParser, XMLValidator } from 'fast-xml-parser'

export type XmlValue = string | XmlObject | XmlValue[]
export interface XmlObject {
  [name: string]: XmlValue
}

/** Elements WeCom repeats, by path; always arrays, even with one child. */
const REPEATED = [
  ['xml', 'MemChangeList', 'Item'],
  ['xml', 'ExtAttr', 'Item'],
]
/** WeCom's documents are a handful of levels deep (xml › ExtAttr › Item › Text › Value); the bound keeps the parser's work per element small. */
const MAX_DEPTH = 32

// Compared name by name: joining the path into a string would cost its length for each element.
const isRepeated = (names: string[]) => REPEATED.some((repeated) => repeated.length === names.length && repeated.every((name, i) => names[i] === name))

const parser = new XMLParser({
  ignoreAttributes: true,
  // Every value stays a string: ids like 0012 or 4561255354251345929 must not become numbers.
  parseTagValue: false,
  trimValues: true,
  // A path object rather than a string: building 'xml.a.b…' for each element is quadratic
  // when ancestors have long names.
  jPath: false,
  maxNestedTags: MAX_DEPTH,
  isArray: (name, path) => name === 'Item' && typeof path !== 'string' && isRepeated(path.toArray()),
})

/**
 * The children of WeCom's `<xml>` root, values as strings whether CDATA or not;
 * null for anything that is not a well-formed `<xml>` document, or nests deeper than
 * MAX_DEPTH. DOCTYPEs are refused: WeCom never sends one, and entity tricks have no business here.
 */
export function parseXml(text: string): XmlObject | null {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return null
  if (XMLValidator.validate(text) !== true) return null
  let document: { xml?: XmlValue }
  try {
    document = parser.parse(text) as { xml?: XmlValue }
  } catch {
    // The parser throws past MAX_DEPTH and on names such as `constructor`: not a document we take.
    return null
  }
  const root = document.xml
  if (root === '') return {}
  return root !== undefined && typeof root === 'object' && !Array.isArray(root) ? root : null
}

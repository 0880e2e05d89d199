import { XMLParser, XMLValidator } from 'fast-xml-parser'

export type XmlValue = string | XmlObject | XmlValue[]
export interface XmlObject {
  [name: string]: XmlValue
}

/** Elements WeCom repeats; always arrays, even with one child. */
const REPEATED = new Set(['xml.MemChangeList.Item', 'xml.ExtAttr.Item'])

const parser = new XMLParser({
  ignoreAttributes: true,
  // Every value stays a string: ids like 0012 or 4561255354251345929 must not become numbers.
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => REPEATED.has(String(jpath)),
})

/**
 * The children of WeCom's `<xml>` root, values as strings whether CDATA or not;
 * null for anything that is not a well-formed `<xml>` document. DOCTYPEs are refused:
 * WeCom never sends one, and entity tricks have no business here.
 */
export function parseXml(text: string): XmlObject | null {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return null
  if (XMLValidator.validate(text) !== true) return null
  const document = parser.parse(text) as { xml?: XmlValue }
  const root = document.xml
  if (root === '') return {}
  return root !== undefined && typeof root === 'object' && !Array.isArray(root) ? root : null
}

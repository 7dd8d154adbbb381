import { XMLParser } from 'fast-xml-parser';

/** TwiML as a list of verbs, the way Twilio reads it: in order, nouns inside. */
export type Verb = { name: string; attrs: Record<string, string>; text: string; children: Verb[] };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
});

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

function toVerbs(nodes: Node[]): Verb[] {
  const verbs: Verb[] = [];
  for (const node of nodes) {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (!name || name === '?xml' || name === '#text') continue;
    const content = (node[name] as Node[]) ?? [];
    const text = content.filter((c) => '#text' in c).map((c) => String(c['#text'])).join('');
    verbs.push({ name, attrs: node[':@'] ?? {}, text, children: toVerbs(content) });
  }
  return verbs;
}

/** Parses a TwiML document; throws when it is not a <Response>. */
export function parseTwiml(xml: string): Verb[] {
  const doc = toVerbs(parser.parse(xml) as Node[]);
  const response = doc.find((v) => v.name === 'Response');
  if (!response) throw new Error('TwiML without <Response>');
  return response.children;
}

/**
 * Checks that bytes are a PDF a reader can open, without a PDF reader on the machine: the header,
 * the end marker, a cross-reference table where startxref says, every object where that table
 * says, and a page tree with the expected number of pages. Returns the text drawn with the
 * standard fonts, decoded from the (deflated) content streams, so a test can look for figures.
 */
import { inflateSync } from 'node:zlib';

export interface PdfFacts {
  readonly pages: number;
  readonly text: string;
}

export function readPdf(bytes: Buffer): PdfFacts {
  const latin = bytes.toString('latin1');
  if (!latin.startsWith('%PDF-')) throw new Error('no %PDF- header');
  if (!/%%EOF\s*$/.test(latin)) throw new Error('no %%EOF at the end');
  const startxref = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(latin);
  if (!startxref) throw new Error('no startxref');
  const xrefAt = Number(startxref[1]);
  if (latin.slice(xrefAt, xrefAt + 4) !== 'xref') throw new Error(`startxref ${xrefAt} does not point at the xref table`);
  const header = /^xref\s+(\d+)\s+(\d+)\s+/.exec(latin.slice(xrefAt));
  if (!header) throw new Error('unreadable xref table');
  const first = Number(header[1]);
  const count = Number(header[2]);
  const entries = latin.slice(xrefAt + header[0].length).split(/\r?\n/).slice(0, count);
  entries.forEach((entry, index) => {
    const match = /^(\d{10}) (\d{5}) ([nf])/.exec(entry.trim().padEnd(18));
    if (!match) throw new Error(`bad xref entry ${entry}`);
    if (match[3] !== 'n') return;
    const offset = Number(match[1]);
    const expected = `${first + index} 0 obj`;
    if (latin.slice(offset, offset + expected.length) !== expected) throw new Error(`object ${first + index} is not at offset ${offset}`);
  });
  const pages = /\/Type \/Pages\s*\/Count (\d+)/.exec(latin) ?? /\/Count (\d+)/.exec(latin);
  if (!pages) throw new Error('no page tree');
  const texts: string[] = [];
  for (const match of latin.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    const start = match.index + match[0].indexOf(match[1]!);
    let content: string;
    try {
      content = inflateSync(bytes.subarray(start, start + Buffer.byteLength(match[1]!, 'latin1'))).toString('latin1');
    } catch {
      continue;
    }
    for (const hex of content.matchAll(/\[?<([0-9a-fA-F]+)>/g)) texts.push(Buffer.from(hex[1]!, 'hex').toString('latin1'));
    for (const array of content.matchAll(/\[((?:<[0-9a-fA-F]+>\s*-?\d*\.?\d*\s*)+)\]\s*TJ/g)) {
      texts.push([...array[1]!.matchAll(/<([0-9a-fA-F]+)>/g)].map((hex) => Buffer.from(hex[1]!, 'hex').toString('latin1')).join(''));
    }
  }
  return { pages: Number(pages[1]), text: texts.join('\n') };
}

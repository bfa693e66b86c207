/** A credit or debit note as a PDF document (pdfkit), laid out like a statement. */
import PDFDocument from 'pdfkit';
import type { StoredNote } from '../../../billing/settlement/note-store.ts';
import { noteView } from './disputes.ts';

const LEFT = 50;
const RIGHT_EDGE = 545;

export function notePdf(note: StoredNote): Promise<Buffer> {
  const view = noteView(note);
  const title = `${view.kind === 'credit' ? 'Credit' : 'Debit'} note ${view.number}`;
  // A fixed creation date: the same note always renders to the same bytes.
  const doc = new PDFDocument({ size: 'A4', margin: LEFT, info: { Title: title, Author: 'minutex', CreationDate: new Date(view.issued_at) } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(18).text(title);
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  doc.text(`Carrier: ${view.carrier.name}`);
  doc.text(`Corrects statement ${view.statement.number} (${view.section === 'bought' ? 'bought' : 'sold'} calls)`);
  doc.text(`Issued: ${view.issued_at.slice(0, 10)}    Currency: ${view.currency}`);
  doc.text(`Reason: ${view.reason}`);
  doc.moveDown(1).font('Helvetica-Bold').fontSize(12).text('Lines', LEFT);
  doc.moveDown(0.3).fontSize(9);
  for (const line of view.lines) {
    const y = doc.y;
    doc.font('Helvetica').text(line.destination, LEFT, y, { width: 270, lineBreak: false, ellipsis: true });
    doc.text(line.calls > 0 ? `${line.calls} calls` : '', 330, y, { width: 70, align: 'right', lineBreak: false });
    doc.text(`${line.amount} ${view.currency}`, 400, y, { width: RIGHT_EDGE - 400, align: 'right', lineBreak: false });
    doc.x = LEFT;
    doc.moveDown(0.4);
  }
  doc.moveDown(1).font('Helvetica-Bold').fontSize(12).text('Totals', LEFT);
  doc.moveDown(0.3).fontSize(10);
  for (const [label, amount] of [[view.kind === 'credit' ? 'Credited to you' : 'Debited to you', view.amount], ['Settled against the statement', view.allocated_to_statement]] as const) {
    const y = doc.y;
    doc.font('Helvetica').text(label, LEFT, y, { lineBreak: false });
    doc.text(`${amount} ${view.currency}`, 330, y, { width: RIGHT_EDGE - 330, align: 'right', lineBreak: false });
    doc.x = LEFT;
    doc.moveDown(0.4);
  }
  doc.end();
  return done;
}

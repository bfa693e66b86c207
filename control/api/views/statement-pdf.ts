/**
 * A statement as a PDF document (pdfkit), for a finance team to file: the header with the
 * statement's number, carrier, period and due date; bought and sold lines per destination;
 * the totals with netting and what is due or payable.
 */
import PDFDocument from 'pdfkit';
import type { StatementWithLines } from '../../../billing/settlement/statement-store.ts';
import { statementView } from './statements.ts';

const LEFT = 50;
/** Column x positions of the lines table: destination, calls, minutes, amount, fee. */
const COLUMNS = [LEFT, 270, 330, 400, 480] as const;
const RIGHT_EDGE = 545;

export function statementPdf(statement: StatementWithLines): Promise<Buffer> {
  const view = statementView(statement);
  // A fixed creation date: the same statement always renders to the same bytes.
  const doc = new PDFDocument({ size: 'A4', margin: LEFT, info: { Title: `Statement ${view.number}`, Author: 'minutex', CreationDate: new Date(view.issued_at) } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('Helvetica-Bold').fontSize(18).text(`Settlement statement ${view.number}`);
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  doc.text(`Carrier: ${view.carrier.name}`);
  doc.text(`Period: ${view.period.first_day} to ${view.period.last_day} (${view.period.kind.replace('_', '-')}, ${view.period.time_zone})`);
  doc.text(`Currency: ${view.currency}`);
  doc.text(`Issued: ${view.issued_at.slice(0, 10)}    Due: ${view.due_date}${view.deferred_from === null ? '' : ` (deferred from ${view.deferred_from})`}    Status: ${view.status}`);

  const row = (cells: readonly string[], bold = false) => {
    const y = doc.y;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    cells.forEach((cell, index) => {
      const x = COLUMNS[index] ?? LEFT;
      const width = (COLUMNS[index + 1] ?? RIGHT_EDGE) - x - 6;
      doc.text(cell, x, y, { width, align: index === 0 ? 'left' : 'right', lineBreak: false, ellipsis: true });
    });
    // A row's height from its font, not from its last cell: an empty cell (the sold table has no
    // fee) prints nothing and would leave the cursor on the row.
    doc.x = LEFT;
    doc.y = y + doc.currentLineHeight(true);
    doc.moveDown(0.3);
  };

  for (const section of ['bought', 'sold'] as const) {
    const lines = view.lines.filter((line) => line.section === section);
    if (lines.length === 0) continue;
    doc.moveDown(1).font('Helvetica-Bold').fontSize(12).text(section === 'bought' ? 'Bought' : 'Sold', LEFT);
    doc.moveDown(0.3).fontSize(9);
    row(['Destination', 'Calls', 'Minutes', 'Amount', section === 'bought' ? 'Fee' : ''], true);
    for (const line of lines) {
      row([`${line.destination}${line.adjustment ? ' (adjustment)' : ''}`, String(line.calls), line.billed_minutes, line.amount, section === 'bought' ? line.fee : '']);
    }
  }

  doc.moveDown(1).font('Helvetica-Bold').fontSize(12).text('Totals', LEFT);
  doc.moveDown(0.3).fontSize(10);
  const totals: Array<[string, string]> = [
    ['Bought', view.totals.bought], ['Exchange fees', view.totals.fees], ['Sold', view.totals.sold],
    ['Offset by netting', view.totals.netting], ['Amount due from you', view.totals.amount_due], ['Amount payable to you', view.totals.amount_payable],
  ];
  for (const [label, amount] of totals) {
    const y = doc.y;
    doc.font('Helvetica').text(label, LEFT, y, { lineBreak: false });
    doc.text(`${amount} ${view.currency}`, 330, y, { width: RIGHT_EDGE - 330, align: 'right', lineBreak: false });
    doc.x = LEFT;
    doc.moveDown(0.4);
  }
  doc.moveDown(1).fontSize(8).fillColor('#555555').text(
    'Adjustment lines are calls that started before this period and were rated after their own period had closed. '
    + 'Minutes are shown rounded to two decimals; amounts are exact.', LEFT);
  doc.end();
  return done;
}

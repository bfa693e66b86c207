/**
 * Drawing once per frame: a burst of stream events (hundreds a second at peak) changes what the
 * page knows at once, but the DOM is touched only by one draw per panel per animation frame.
 */
/* global requestAnimationFrame */
import { element } from './dom.js';
import { splitTrailingZeros } from './format.js';

/** @type {Map<string, () => void>} */
const pending = new Map();
let scheduled = false;

function drawPending() {
  scheduled = false;
  const draws = [...pending.values()];
  pending.clear();
  for (const draw of draws) draw();
}

/**
 * Asks for `draw` to run at the next animation frame; asking again under the same key before then
 * changes nothing (the draw reads the state as it is when it runs).
 * @param {string} key
 * @param {() => void} draw
 */
export function drawNextFrame(key, draw) {
  pending.set(key, draw);
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(drawPending);
}

/**
 * Sets a text node's text only when it differs: an unchanged value costs no DOM write (and no
 * style or layout work).
 * @param {Node} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * @param {Element} node
 * @param {string} className
 */
export function setClass(node, className) {
  if (node.className !== className) node.className = className;
}

/**
 * Makes `parent`'s children exactly `rows`, in order, moving only what is out of place: a row
 * already where it belongs is not touched (it keeps its element, its focus and its selection).
 * @param {HTMLElement} parent
 * @param {Node[]} rows
 */
export function placeRows(parent, rows) {
  /** @type {Node | null} */
  let cursor = parent.firstChild;
  for (const row of rows) {
    if (cursor === row) cursor = cursor.nextSibling;
    else parent.insertBefore(row, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    parent.removeChild(cursor);
    cursor = next;
  }
}

/**
 * @template T
 * @typedef {{ row: HTMLElement, update: (item: T) => void }} KeyedRow
 */

/**
 * Draws a list as rows kept by key: a row whose key stays keeps its element and is only written
 * where its values changed; rows come and go with their keys.
 * @template T
 * @param {HTMLElement} tbody the table body (or any element whose children are the rows)
 * @param {Map<string, KeyedRow<T>>} kept the rows drawn last time, by key (updated here)
 * @param {T[]} items
 * @param {(item: T) => string} keyOf
 * @param {(item: T) => KeyedRow<T>} make
 */
export function drawKeyedRows(tbody, kept, items, keyOf, make) {
  const rows = [];
  const seen = new Set();
  for (const item of items) {
    const key = keyOf(item);
    if (seen.has(key)) continue;
    seen.add(key);
    let entry = kept.get(key);
    if (!entry) {
      entry = make(item);
      kept.set(key, entry);
    }
    entry.update(item);
    rows.push(entry.row);
  }
  for (const key of [...kept.keys()]) if (!seen.has(key)) kept.delete(key);
  placeRows(tbody, rows);
}

/**
 * Writes an amount into a money cell made by `moneyCell`, its trailing zeros dimmed, only where it changed.
 * @param {HTMLTableCellElement} td
 * @param {string | null} amount
 * @param {string} [extraClass]
 */
export function setMoney(td, amount, extraClass = '') {
  const [significant, zeros] = amount === null ? ['—', ''] : splitTrailingZeros(amount);
  const className = amount === null ? `num dim ${extraClass}` : `num money${amount.startsWith('-') ? ' negative' : ''} ${extraClass}`;
  setClass(td, className);
  const title = amount ?? '';
  if (td.title !== title) td.title = title;
  const text = td.firstChild;
  const dimmed = td.lastElementChild;
  if (text?.nodeType === 3 && dimmed) {
    setText(text, significant);
    setText(dimmed, zeros);
  } else {
    td.replaceChildren(significant, element('span', { className: 'zeros' }, [zeros]));
  }
}

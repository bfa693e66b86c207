/**
 * The DOM, built from elements and text nodes only: every value from the API reaches the page
 * through text nodes or `textContent`, never as markup.
 */
/* global document */
import { describe, splitTrailingZeros } from './format.js';

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no element #${id}`);
  return element;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ className?: string, title?: string, colSpan?: number }} [properties]
 * @param {Array<Node | string>} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  if (properties.className) node.className = properties.className;
  if (properties.title) node.title = properties.title;
  if (properties.colSpan && node instanceof HTMLTableCellElement) node.colSpan = properties.colSpan;
  for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

/**
 * A table cell holding plain text (`append` of a string makes a text node).
 * @param {string} text
 * @param {string} [className]
 * @param {string} [title]
 */
export function cell(text, className, title) {
  return element('td', { className, title: title ?? (text.length > 14 ? text : undefined) }, [text]);
}

/**
 * A table cell holding an amount, its trailing zeros dimmed; a missing amount is a dimmed dash.
 * @param {string | null} amount
 * @param {string} [extraClass]
 */
export function moneyCell(amount, extraClass = '') {
  if (amount === null) return cell('—', `num dim ${extraClass}`);
  const [significant, zeros] = splitTrailingZeros(amount);
  const negative = amount.startsWith('-') ? ' negative' : '';
  return element('td', { className: `num money${negative} ${extraClass}`, title: amount }, [significant, element('span', { className: 'zeros' }, [zeros])]);
}

/**
 * @param {HTMLElement} tbody
 * @param {number} columns
 * @param {string} message
 */
export function showEmpty(tbody, columns, message) {
  tbody.replaceChildren(element('tr', { className: 'empty' }, [element('td', { colSpan: columns }, [message])]));
}

/**
 * @param {string} id
 * @param {'ok' | 'bad' | 'warn' | 'idle'} condition
 * @param {string} text
 * @param {string} [title]
 */
export function setBadge(id, condition, text, title) {
  const badge = byId(id);
  badge.className = `badge badge-${condition}`;
  badge.textContent = text;
  if (title !== undefined) badge.title = title;
}

/**
 * Marks a panel whose last refresh failed, so that nobody mistakes old rows for current ones.
 * @param {string} panel
 * @param {unknown} error
 */
export function setPanelError(panel, error) {
  const note = byId(`${panel}-error`);
  note.hidden = error === null;
  note.textContent = error === null ? '' : 'stale';
  note.title = error === null ? '' : `last refresh failed: ${describe(error)}`;
}

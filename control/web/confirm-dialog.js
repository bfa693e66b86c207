/**
 * The page's confirmation: a modal dialog in the page itself (not `window.confirm`), so that the
 * question, what will happen and the two choices are the page's own text, Escape or "Cancel"
 * refuses, and nothing is sent until the operator says yes.
 */
/* global document */
import { element } from './dom.js';

/** @type {HTMLDialogElement | null} */
let dialog = null;

function build() {
  const question = element('p', { className: 'confirm-question' }, []);
  question.id = 'confirm-question';
  const yes = element('button', { className: 'confirm-yes' }, ['Confirm']);
  yes.id = 'confirm-yes';
  yes.value = 'yes';
  const no = element('button', { className: 'quiet-button' }, ['Cancel']);
  no.id = 'confirm-no';
  no.value = 'no';
  const form = element('form', {}, [question, element('div', { className: 'confirm-buttons' }, [no, yes])]);
  form.method = 'dialog';
  const built = element('dialog', { className: 'confirm-dialog' }, [form]);
  built.id = 'confirm-dialog';
  document.body.append(built);
  return built;
}

/**
 * Asks the operator; resolves true only on "Confirm".
 * @param {string} question what will be done, to whom
 * @param {string} [confirmLabel] the label of the confirming button, e.g. "Suspend"
 * @returns {Promise<boolean>}
 */
export function confirmAction(question, confirmLabel = 'Confirm') {
  const shown = dialog ?? (dialog = build());
  /** @type {HTMLElement} */ (shown.querySelector('#confirm-question')).textContent = question;
  /** @type {HTMLElement} */ (shown.querySelector('#confirm-yes')).textContent = confirmLabel;
  shown.returnValue = '';
  return new Promise((resolve) => {
    shown.addEventListener('close', () => resolve(shown.returnValue === 'yes'), { once: true });
    shown.showModal();
    /** @type {HTMLElement} */ (shown.querySelector('#confirm-no')).focus();
  });
}

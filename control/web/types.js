/**
 * The shapes of what the API sends, as the live page reads them, and of what the page keeps.
 * Types only: nothing runs here.
 *
 * @typedef {{ status: string, database: boolean, switch: boolean, agent: boolean }} Health
 * @typedef {{ id: string, name: string, status: string, created_at: string }} Carrier
 * @typedef {{ id: string, name: string }} Destination
 * @typedef {{ call_id: string, buyer_id: string, number: string, destination_id: string, state: string,
 *   setup_at: string, answer_at: string | null, seller_id: string | null, legs_tried: number }} LiveCall
 * @typedef {{ call_id: string, buyer_id: string | null, seller_id: string | null, dialled_number: string,
 *   destination: string | null, final_sip_code: number, final_reason: string, ended_by: string, duration_ms: number,
 *   billed_s: number | null, buyer_amount: string | null, seller_amount: string | null, fee_amount: string | null,
 *   currency: string | null, end_at: string, rated: boolean, posted: boolean }} Cdr
 * @typedef {{ account: string, currency: string, balance: string }} Balance
 * @typedef {{ balanced: boolean, totals: Array<{ currency: string, total: string }>, cached_balance_mismatches: number }} TrialBalance
 * @typedef {{ id: string, buyer_id: string, seller_id: string, destination_id: string, price_per_minute: string,
 *   currency: string, increments: string, channels: number, status: string, created_at: string }} Trade
 * @typedef {{ event: string, data: string }} StreamFrame
 * @typedef {{ setup: HTMLTableCellElement, buyer: HTMLTableCellElement, number: HTMLTableCellElement, destination: HTMLTableCellElement,
 *   seller: HTMLTableCellElement, state: HTMLSpanElement, legs: HTMLTableCellElement, duration: HTMLTableCellElement }} LiveCells
 * @typedef {{ call: LiveCall, row: HTMLTableRowElement | null, cells: LiveCells | null, drawn: LiveCall | null }} LiveRow
 *   a call in progress; `row` and `cells` while it is on show, `drawn` the state its row shows
 * @typedef {'live' | 'error' | 'stale'} PanelCondition
 */

// A module with no values: the typedefs above are what other modules import.
export {};

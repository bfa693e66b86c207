/**
 * What changed in the market, as one node tells the others over PostgreSQL NOTIFY: the kind of
 * entity and its ids, so each node reloads just those rows. A NOTIFY payload holds under 8000
 * bytes, so a long list of ids goes as several messages, a destination import goes as a reference
 * to the import, and a change too big for a few messages asks every node for a full reload.
 */

export type MarketChange =
  | { readonly kind: 'trades' | 'trunks' | 'carriers' | 'destinations'; readonly ids: readonly string[] }
  /** The prefixes a destination import wrote (destination_prefixes.import_id). */
  | { readonly kind: 'import'; readonly import_id: string }
  /** Anything: reload the whole of the routing data. */
  | { readonly kind: 'all' };

export type IdsKind = Extract<MarketChange, { ids: readonly string[] }>['kind'];
const ID_KINDS: readonly IdsKind[] = ['trades', 'trunks', 'carriers', 'destinations'];

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; this leaves room for the envelope. */
export const MAX_PAYLOAD_BYTES = 7_900;
/** Past this many messages for one change, a full reload is cheaper for every node. */
export const MAX_MESSAGES_PER_CHANGE = 32;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The payloads that carry `change` from `node`, each under MAX_PAYLOAD_BYTES. */
export function encodeChange(node: string, change: MarketChange): string[] {
  if (change.kind === 'all' || change.kind === 'import') return [JSON.stringify({ node, ...change })];
  const payloads: string[] = [];
  let ids: string[] = [];
  const envelope = JSON.stringify({ node, kind: change.kind, ids: [] }).length;
  let length = envelope;
  for (const id of change.ids) {
    // Each id adds its quotes and a comma.
    if (length + id.length + 3 > MAX_PAYLOAD_BYTES && ids.length > 0) {
      payloads.push(JSON.stringify({ node, kind: change.kind, ids }));
      ids = [];
      length = envelope;
    }
    ids.push(id);
    length += id.length + 3;
  }
  if (ids.length > 0) payloads.push(JSON.stringify({ node, kind: change.kind, ids }));
  if (payloads.length > MAX_MESSAGES_PER_CHANGE) return [JSON.stringify({ node, kind: 'all' })];
  return payloads;
}

/** The sender and the change of a payload; anything not understood asks for a full reload. */
export function decodeChange(payload: string): { readonly node: string | null; readonly change: MarketChange } {
  const all = { node: null, change: { kind: 'all' } } as const;
  let message: unknown;
  try {
    message = JSON.parse(payload);
  } catch {
    return all;
  }
  if (typeof message !== 'object' || message === null) return all;
  const { node, kind, ids, import_id } = message as Record<string, unknown>;
  const sender = typeof node === 'string' ? node : null;
  if (kind === 'import' && typeof import_id === 'string' && UUID.test(import_id)) return { node: sender, change: { kind, import_id } };
  const idsKind = ID_KINDS.find((known) => known === kind);
  if (idsKind !== undefined && Array.isArray(ids) && ids.every((id) => typeof id === 'string' && UUID.test(id))) {
    return { node: sender, change: { kind: idsKind, ids: ids as string[] } };
  }
  return { node: sender, change: { kind: 'all' } };
}

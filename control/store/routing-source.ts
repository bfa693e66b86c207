/**
 * Where the routing data is read from: PostgreSQL, either whole (at start, on a reconnect) or
 * just the rows one change names. Prefixes come by COPY, a chunk at a time, since there may be a
 * million of them.
 */
import { pgp, type Db } from '../../common/db/database.ts';
import type { CarrierStatus, TradeRecord, TrunkRecord } from '../core/routing-tables.ts';
import type { IdentityPolicy } from '../core/routing.ts';
import type { StoredTrade } from '../exchange/stored-rows.ts';
import { copyOut } from './pg-copy.ts';

/** A prefix, its destination, and the epoch ms it takes effect at when that is still ahead. */
export type PrefixRow = readonly [prefix: string, destination_id: string, later_ms: number | null];

export type PrefixFilter = { readonly all: true } | { readonly destination_ids: readonly string[] } | { readonly import_id: string };

export interface TradeState {
  readonly trade: TradeRecord;
  readonly live: boolean;
}

export interface RoutingSource {
  /** Carriers by id; all of them without ids. */
  carriers(ids?: readonly string[]): Promise<Array<{ readonly id: string; readonly status: CarrierStatus }>>;
  /** Trunks by id (all without ids), each with its carrier's status. */
  trunks(ids?: readonly string[]): Promise<Array<{ readonly trunk: TrunkRecord; readonly carrier_status: CarrierStatus }>>;
  /** Trades by id whatever their status; every live trade without ids. In the order they were made. */
  trades(ids?: readonly string[]): Promise<TradeState[]>;
  /** Streams the prefixes the filter selects; resolves with their count. */
  prefixes(filter: PrefixFilter, onRows: (rows: readonly PrefixRow[]) => void): Promise<number>;
}

const DEFAULT_SIP_PORT = 5060;

type TradeRow = Pick<StoredTrade, 'id' | 'buyer_id' | 'seller_id' | 'destination_id' | 'currency' | 'price_per_minute_micros'
  | 'first_increment_s' | 'next_increment_s' | 'connect_fee_micros' | 'channels' | 'status'>;

interface TrunkRow {
  id: string;
  carrier_id: string;
  direction: 'ingress' | 'egress';
  host: string;
  port: number | null;
  transport: 'udp' | 'tcp';
  tech_prefix: string | null;
  channels: number;
  cps: number;
  direct_media: boolean;
  identity_policy: IdentityPolicy;
  carrier_status: CarrierStatus;
}

const TRADE_SELECT = `select id, buyer_id, seller_id, destination_id, currency, price_per_minute_micros, first_increment_s,
  next_increment_s, connect_fee_micros, channels, status from trades`;
const TRUNK_SELECT = `select t.id, t.carrier_id, t.direction, host(t.host) as host, t.port, t.transport, t.tech_prefix, t.channels, t.cps,
  t.direct_media, t.identity_policy, c.status as carrier_status from trunks t join carriers c on c.id = t.carrier_id`;
const PREFIX_SELECT = `select prefix, destination_id,
  case when effective_from > now() then (extract(epoch from effective_from) * 1000)::bigint end from destination_prefixes`;

export class PostgresRoutingSource implements RoutingSource {
  constructor(private readonly db: Db) {}

  carriers(ids?: readonly string[]): Promise<Array<{ id: string; status: CarrierStatus }>> {
    return ids === undefined
      ? this.db.any('select id, status from carriers')
      : this.db.any('select id, status from carriers where id = any($1::uuid[])', [ids]);
  }

  async trunks(ids?: readonly string[]): Promise<Array<{ trunk: TrunkRecord; carrier_status: CarrierStatus }>> {
    const rows = ids === undefined ? await this.db.any<TrunkRow>(TRUNK_SELECT) : await this.db.any<TrunkRow>(`${TRUNK_SELECT} where t.id = any($1::uuid[])`, [ids]);
    return rows.map((row) => ({ trunk: trunkRecord(row), carrier_status: row.carrier_status }));
  }

  async trades(ids?: readonly string[]): Promise<TradeState[]> {
    const rows = ids === undefined
      ? await this.db.any<TradeRow>(`${TRADE_SELECT} where status = 'live' order by created_at, id`)
      : await this.db.any<TradeRow>(`${TRADE_SELECT} where id = any($1::uuid[]) order by created_at, id`, [ids]);
    return rows.map((row) => ({ trade: tradeRecord(row), live: row.status === 'live' }));
  }

  prefixes(filter: PrefixFilter, onRows: (rows: readonly PrefixRow[]) => void): Promise<number> {
    const select = 'all' in filter ? PREFIX_SELECT
      : 'import_id' in filter ? pgp.as.format(`${PREFIX_SELECT} where import_id = $1`, [filter.import_id])
        : pgp.as.format(`${PREFIX_SELECT} where destination_id = any($1::uuid[])`, [filter.destination_ids]);
    return copyOut(this.db, select, (lines) => onRows(lines.map(([prefix = '', destination_id = '', later = '\\N']) => [prefix, destination_id, later === '\\N' ? null : Number(later)])));
  }
}

function tradeRecord(row: TradeRow): TradeRecord {
  return {
    id: row.id, buyer_id: row.buyer_id, seller_id: row.seller_id, destination_id: row.destination_id, currency: row.currency.trim(),
    price_per_minute_micros: row.price_per_minute_micros, first_increment_s: row.first_increment_s, next_increment_s: row.next_increment_s,
    connect_fee_micros: row.connect_fee_micros, channels: row.channels,
  };
}

function trunkRecord(row: TrunkRow): TrunkRecord {
  if (row.direction === 'ingress') {
    return { direction: 'ingress', id: row.id, carrier_id: row.carrier_id, host: row.host, tech_prefix: row.tech_prefix, channels: row.channels, cps: row.cps, direct_media: row.direct_media };
  }
  return { direction: 'egress', id: row.id, carrier_id: row.carrier_id, host: row.host, port: row.port ?? DEFAULT_SIP_PORT, transport: row.transport, channels: row.channels,
    direct_media: row.direct_media, identity_policy: row.identity_policy };
}

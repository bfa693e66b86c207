/**
 * The vocabulary of the exchange's matching engine: orders as the caller submits them, the
 * commands the engine applies, the events it answers with, and read-only views of its books.
 *
 * Everything here is plain data, so the PostgreSQL and HTTP adapters can build commands from rows
 * and request bodies and store events as rows without knowing how the engine works inside.
 */

export type Side = 'buy' | 'sell';

/**
 * Call quality. On a sell order it is what the seller commits to; on a buy order it is the floor
 * the buyer needs. ASR is the answer-seizure ratio, ACD the average call duration and PDD the
 * post-dial delay.
 */
export interface Quality {
  /** Integer from 0 to 100. */
  readonly asr_percent: number;
  /** Integer seconds, 0 or more. */
  readonly acd_s: number;
  /** Integer milliseconds, 0 or more. */
  readonly pdd_ms: number;
}

export interface OrderSpec {
  readonly order_id: string;
  readonly carrier_id: string;
  readonly side: Side;
  readonly destination_id: string;
  /** ISO 4217 code; a book is one destination in one currency. */
  readonly currency: string;
  /** Sell: the ask. Buy: the most the buyer pays. Micro-units of the currency per minute. */
  readonly price_per_minute_micros: bigint;
  /** Sell: how the seller bills. Buy: the coarsest billing the buyer accepts. */
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  /** Sell: the fee per connected call. Buy: the most the buyer accepts per connected call. */
  readonly connect_fee_micros: bigint;
  /** Positive integer: how many concurrent calls. */
  readonly channels: number;
  /** Sell: the committed quality (null commits nothing). Buy: the floor needed (null: none). */
  readonly quality: Quality | null;
  /** Arrival sequence (time priority), strictly increasing, assigned by the caller. */
  readonly seq: bigint;
  /** Epoch milliseconds after which the order no longer trades; null is good till cancelled. */
  readonly valid_until_ms: number | null;
}

export interface Trade {
  /** Numbered by the engine from its `first_trade_seq`, one more for each trade. */
  readonly trade_seq: number;
  readonly buy_order_id: string;
  readonly sell_order_id: string;
  readonly buyer_id: string;
  readonly seller_id: string;
  readonly destination_id: string;
  readonly currency: string;
  /** The resting order's price. */
  readonly price_per_minute_micros: bigint;
  /** Billing increments and connect fee come from the sell order. */
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  readonly connect_fee_micros: bigint;
  readonly channels: number;
  /** The side of the order whose arrival (or priority-losing amend) made the trade. */
  readonly aggressor_side: Side;
}

export type Command =
  | { readonly kind: 'submit'; readonly order: OrderSpec; readonly now_ms: number }
  | { readonly kind: 'cancel'; readonly order_id: string; readonly now_ms: number }
  | AmendCommand
  | { readonly kind: 'expire'; readonly now_ms: number }
  | RestoreCommand;

/**
 * Changes a resting order. `channels` is the new total (filled channels included); reducing it to
 * exactly the filled channels closes the order as filled. Raising a buy's price, lowering a
 * sell's price or adding channels loses time priority: the order takes `new_seq`, which must then
 * be given (`missing_seq` otherwise). Other amends keep the order's seq. A `new_seq` that is given
 * must be greater than every seq seen (`invalid_seq` otherwise) and is recorded as seen, used or
 * not, so an adapter may simply draw one from the sequence for every amend.
 */
export interface AmendCommand {
  readonly kind: 'amend';
  readonly order_id: string;
  readonly price_per_minute_micros?: bigint;
  readonly channels?: number;
  readonly new_seq?: bigint;
  readonly now_ms: number;
}

/**
 * Puts an order that was resting before a restart back on its book, with the channels it had
 * already filled, without matching. Restoring the open orders in ascending seq order rebuilds the
 * books exactly; an order that would cross the restored book is rejected with `would_cross`.
 */
export interface RestoreCommand {
  readonly kind: 'restore';
  readonly order: OrderSpec;
  readonly filled_channels: number;
  readonly now_ms: number;
}

export type CommandKind = Command['kind'];

export type RejectionReason =
  | 'invalid_channels'
  | 'invalid_price'
  | 'invalid_increments'
  | 'invalid_connect_fee'
  | 'invalid_quality'
  | 'invalid_validity'
  | 'invalid_seq'
  | 'invalid_filled_channels'
  | 'duplicate_order_id'
  | 'expired_on_arrival'
  | 'unknown_order'
  | 'already_closed'
  | 'channels_below_filled'
  | 'nothing_to_amend'
  | 'missing_seq'
  | 'would_cross';

export type OrderStatus = 'open' | 'filled' | 'cancelled' | 'expired';

/**
 * What a command did, in the order it happened. Every event about an order carries the channels
 * still open on it afterwards (`remaining_channels`), which is what an adapter stores as the
 * order's open channels.
 *
 * A submit answers `order_accepted`, then for each trade `trade_made`, the resting order's fill
 * event and the incoming order's fill event. Orders whose validity has run out by the command's
 * `now_ms` are expired first, whatever the command, so nothing trades with an expired order.
 */
export type Event =
  | { readonly kind: 'order_accepted'; readonly order_id: string; readonly remaining_channels: number }
  | { readonly kind: 'order_restored'; readonly order_id: string; readonly remaining_channels: number }
  | {
      readonly kind: 'command_rejected';
      readonly command: CommandKind;
      readonly order_id: string;
      readonly reason: RejectionReason;
    }
  | { readonly kind: 'trade_made'; readonly trade: Trade }
  | {
      readonly kind: 'order_partially_filled' | 'order_filled';
      readonly order_id: string;
      readonly trade_seq: number;
      readonly traded_channels: number;
      readonly remaining_channels: number;
    }
  | {
      readonly kind: 'order_cancelled' | 'order_expired';
      readonly order_id: string;
      /** The channels that were open and are now withdrawn. */
      readonly withdrawn_channels: number;
      readonly remaining_channels: 0;
    }
  | {
      readonly kind: 'order_amended';
      readonly order_id: string;
      readonly price_per_minute_micros: bigint;
      readonly channels: number;
      readonly remaining_channels: number;
      readonly seq: bigint;
      readonly priority_lost: boolean;
      /** 'filled' when the channels were reduced to exactly those already filled. */
      readonly status: 'open' | 'filled';
    };

export type EventKind = Event['kind'];

export interface RestingOrderView {
  readonly order_id: string;
  readonly carrier_id: string;
  readonly side: Side;
  readonly destination_id: string;
  readonly currency: string;
  readonly price_per_minute_micros: bigint;
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  readonly connect_fee_micros: bigint;
  readonly quality: Quality | null;
  readonly valid_until_ms: number | null;
  /** The order's total, as submitted or last amended. */
  readonly channels: number;
  readonly filled_channels: number;
  readonly remaining_channels: number;
  readonly seq: bigint;
}

export interface PriceLevelView {
  readonly price_per_minute_micros: bigint;
  /** Open channels summed over the level's orders. */
  readonly channels: number;
  readonly orders: number;
}

/**
 * The depth of one book, best level first on each side. Because quality, increments, connect fee
 * and self-trade prevention decide who may trade with whom, the best bid may be at or above the
 * best ask without any pair of those orders being able to trade.
 */
export interface BookView {
  readonly destination_id: string;
  readonly currency: string;
  readonly bids: readonly PriceLevelView[];
  readonly asks: readonly PriceLevelView[];
  readonly best_bid_micros: bigint | null;
  readonly best_ask_micros: bigint | null;
}

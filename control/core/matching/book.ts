/** One book: the buy and sell sides for one destination in one currency. */
import { BookSide } from './book-side.ts';
import type { BookView, Side } from './types.ts';

export class OrderBook {
  readonly destination_id: string;
  readonly currency: string;
  readonly buys = new BookSide('buy');
  readonly sells = new BookSide('sell');

  constructor(destination_id: string, currency: string) {
    this.destination_id = destination_id;
    this.currency = currency;
  }

  sideOf(side: Side): BookSide {
    return side === 'buy' ? this.buys : this.sells;
  }

  oppositeOf(side: Side): BookSide {
    return side === 'buy' ? this.sells : this.buys;
  }

  view(max_levels: number): BookView {
    return {
      destination_id: this.destination_id,
      currency: this.currency,
      bids: this.buys.view(max_levels),
      asks: this.sells.view(max_levels),
      best_bid_micros: this.buys.best?.price_per_minute_micros ?? null,
      best_ask_micros: this.sells.best?.price_per_minute_micros ?? null,
    };
  }
}

export function emptyBookView(destination_id: string, currency: string): BookView {
  return { destination_id, currency, bids: [], asks: [], best_bid_micros: null, best_ask_micros: null };
}


/**
 * The test companies the bureau sandbox knows, one or more per grade of minutex's scorecard, with
 * reports shaped like a business-credit bureau's:
 * - `payment_index`: 1-100, read like Dun & Bradstreet's PAYDEX (100 = pays 30 days early,
 *   80 = pays on terms, 70 = 15 days late, 50 = 30 days late, 20 = 120 days late); null for a
 *   company with too few trade experiences to score (a thin file);
 * - `delinquency_score`: 1-100 percentile of the likelihood of severe delinquency over the next
 *   12 months, 1 = the riskiest, 100 = the safest;
 * - `years_in_business`, public `filings` (liens, judgments, bankruptcies: each with a date and,
 *   for liens and judgments, an amount) and `trade_references` (suppliers' experiences).
 */

export interface Filing {
  readonly kind: 'lien' | 'judgment' | 'bankruptcy';
  readonly filed_on: string;
  /** Decimal string in `currency`; absent for a bankruptcy. */
  readonly amount?: string;
  readonly currency?: string;
  readonly status: 'open' | 'released' | 'discharged';
}

export interface TradeReference {
  readonly supplier: string;
  /** Highest credit the supplier extended, decimal string in USD. */
  readonly high_credit: string;
  /** Average days paid beyond terms with that supplier. */
  readonly days_beyond_terms: number;
}

export interface CompanyReport {
  readonly bureau_id: string;
  readonly name: string;
  readonly country: string;
  readonly payment_index: number | null;
  readonly delinquency_score: number;
  readonly years_in_business: number;
  readonly filings: readonly Filing[];
  readonly trade_references: readonly TradeReference[];
}

export const TEST_COMPANIES: readonly CompanyReport[] = [
  {
    bureau_id: 'MXB-100001', name: 'Atlas Voice Ltd', country: 'GB', payment_index: 82, delinquency_score: 92, years_in_business: 24, filings: [],
    trade_references: [
      { supplier: 'Northern Fibre', high_credit: '250000.00', days_beyond_terms: 0 },
      { supplier: 'Sea Cable Co', high_credit: '120000.00', days_beyond_terms: 0 },
    ],
  },
  {
    bureau_id: 'MXB-100002', name: 'Borealis Telecom AS', country: 'NO', payment_index: 78, delinquency_score: 71, years_in_business: 11, filings: [],
    trade_references: [{ supplier: 'Nordic Transit', high_credit: '80000.00', days_beyond_terms: 3 }],
  },
  {
    bureau_id: 'MXB-100003', name: 'Cobalt Carrier Services', country: 'US', payment_index: 68, delinquency_score: 48, years_in_business: 6,
    filings: [{ kind: 'lien', filed_on: '2025-03-14', amount: '12000.00', currency: 'USD', status: 'open' }],
    trade_references: [{ supplier: 'Midwest Tandem', high_credit: '30000.00', days_beyond_terms: 12 }],
  },
  {
    bureau_id: 'MXB-100004', name: 'Delta Minutes SRL', country: 'RO', payment_index: 52, delinquency_score: 24, years_in_business: 3,
    filings: [{ kind: 'judgment', filed_on: '2026-01-09', amount: '45000.00', currency: 'USD', status: 'open' }],
    trade_references: [{ supplier: 'Danube Voice', high_credit: '15000.00', days_beyond_terms: 28 }],
  },
  {
    bureau_id: 'MXB-100007', name: 'Gamma Transit LLC', country: 'US', payment_index: 35, delinquency_score: 15, years_in_business: 2,
    filings: [{ kind: 'judgment', filed_on: '2025-11-20', amount: '8000.00', currency: 'USD', status: 'open' }],
    trade_references: [{ supplier: 'Lakeside Voice', high_credit: '4000.00', days_beyond_terms: 45 }],
  },
  {
    bureau_id: 'MXB-100005', name: 'Echo Route Inc', country: 'US', payment_index: 24, delinquency_score: 6, years_in_business: 1,
    filings: [{ kind: 'bankruptcy', filed_on: '2026-06-30', status: 'open' }],
    trade_references: [{ supplier: 'Gulf Switch', high_credit: '5000.00', days_beyond_terms: 95 }],
  },
  {
    // A new company: too few trade experiences for a payment index.
    bureau_id: 'MXB-100006', name: 'Fresh Lines GmbH', country: 'DE', payment_index: null, delinquency_score: 45, years_in_business: 0, filings: [], trade_references: [],
  },
];

/**
 * The scorecard in force. The versioned files in ./scorecards (scorecard-N.json) are loaded into
 * `credit_scorecards` at start; a version not yet loaded is inserted and audited, a loaded version
 * whose file changed is refused (a new table of bands must be a new version), and the highest
 * version is the one assessments use.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../common/db/database.ts';
import { parseScorecard, type Scorecard } from '../core/assessment/scorecard.ts';
import { audit } from '../store/audit.ts';

export const SCORECARD_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scorecards');

export class ScorecardStore {
  private current: Scorecard | undefined;

  constructor(private readonly db: Db, private readonly dir = SCORECARD_DIR) {}

  /** Loads every file not loaded yet (audited as `actor`); returns the versions loaded now. */
  async load(actor: string): Promise<number[]> {
    const files = readdirSync(this.dir).filter((name) => /^scorecard-\d+\.json$/.test(name)).sort();
    const loaded: number[] = [];
    for (const name of files) {
      const raw = readFileSync(path.join(this.dir, name), 'utf8');
      const card = parseScorecard(JSON.parse(raw));
      if (name !== `scorecard-${card.version}.json`) throw new Error(`${name} holds version ${card.version}`);
      const sha256 = createHash('sha256').update(raw).digest('hex');
      await this.db.tx('credit-scorecard-load', async (t) => {
        // Nodes starting together load the same file: one inserts, the others find its row.
        await t.none('lock table credit_scorecards in share row exclusive mode');
        const existing = await t.oneOrNone<{ sha256: string }>('select sha256 from credit_scorecards where version = $1', [card.version]);
        if (existing !== null) {
          if (existing.sha256 !== sha256) throw new Error(`scorecard version ${card.version} was loaded with other content: give the change a new version`);
          return;
        }
        await t.none('insert into credit_scorecards (version, content, sha256, loaded_by) values ($1, $2::jsonb, $3, $4)', [card.version, raw, sha256, actor]);
        await audit(t, actor, 'credit.scorecard_loaded', `scorecard:${card.version}`, { file: name, sha256 });
        loaded.push(card.version);
      });
    }
    this.current = undefined;
    return loaded;
  }

  /** The scorecard in force: the highest version loaded. */
  async inForce(): Promise<Scorecard> {
    const top = await this.db.oneOrNone<{ version: number; content: unknown }>('select version, content from credit_scorecards order by version desc limit 1');
    if (top === null) throw new Error('no scorecard is loaded');
    if (this.current?.version !== top.version) this.current = parseScorecard(top.content);
    return this.current;
  }
}

/**
 * The exchange as one node of the control plane runs it: its exchange, the leadership that makes
 * one node in the database the matching writer, and the gateway its API sends order commands
 * through (to its own exchange while it leads, to the leader otherwise).
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { ExchangeLeaderStore } from '../store/exchange-leader.ts';
import { serverSecret } from '../store/server-secrets.ts';
import { Exchange, type MarketListener } from './exchange.ts';
import type { CreditApproval } from './submit-group.ts';
import { ExchangeGateway } from './gateway.ts';
import { LeaderClient, NODE_KEY_SECRET } from './leader-client.ts';
import { ExchangeLeadership } from './leadership.ts';

export interface ExchangeNodeOptions {
  /** How this node names itself (the leader row shows which node leads). */
  readonly node_id: string;
  /** Where the other nodes reach this node's API. */
  readonly api_url: string;
  /** How often a node tries to take the lead, and the leader checks it still holds it, in ms. */
  readonly leader_poll_ms: number;
  /** How long a forwarded command may take at the leader, in ms. */
  readonly forward_timeout_ms: number;
  /** What pre-trading approval asks of a buyer; `manual` when not given. */
  readonly credit_approval?: CreditApproval;
}

export interface ExchangeNode {
  readonly exchange: Exchange;
  readonly leadership: ExchangeLeadership;
  readonly gateway: ExchangeGateway;
  /** Lets go of the lead and stops; a second call waits for the first. */
  stop(): Promise<void>;
}

/** Starts following and tries for the lead at once: a node alone on its database leads when this resolves. */
export async function startExchangeNode(db: Db, log: Logger, options: ExchangeNodeOptions, listener: MarketListener): Promise<ExchangeNode> {
  const exchange = new Exchange(db, log, Date.now, options.credit_approval ?? 'manual');
  exchange.addListener(listener);
  const nodeKey = (await serverSecret(db, NODE_KEY_SECRET)).toString('base64url');
  const leadership = new ExchangeLeadership(new ExchangeLeaderStore(db), exchange, {
    node_id: options.node_id, api_url: options.api_url, poll_ms: options.leader_poll_ms,
  }, log);
  await leadership.start();
  const client = new LeaderClient(nodeKey, options.forward_timeout_ms);
  const gateway = new ExchangeGateway(exchange, leadership, client, nodeKey);
  let stopped: Promise<void> | undefined;
  return {
    exchange, leadership, gateway,
    stop() {
      stopped ??= leadership.stop().then(() => {
        exchange.stop();
        client.close();
      });
      return stopped;
    },
  };
}

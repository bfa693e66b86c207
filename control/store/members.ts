/** Carriers, their trunks and destinations in PostgreSQL. */
import type { Db } from '../../common/db/database.ts';
import { audit } from './audit.ts';

export interface CarrierRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  created_at: Date;
}

export interface TrunkInput {
  readonly direction: 'ingress' | 'egress';
  readonly host: string;
  readonly port: number | null;
  readonly transport: 'udp' | 'tcp';
  readonly tech_prefix: string | null;
  readonly channels: number;
  readonly cps: number;
  readonly direct_media: boolean;
  readonly identity_policy: 'pass' | 'strip' | 'assert';
}

export interface TrunkRow extends TrunkInput {
  id: string;
  carrier_id: string;
}

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === UNIQUE_VIOLATION;
}

export class MemberStore {
  constructor(private readonly db: Db) {}

  async createCarrier(name: string, actor: string): Promise<{ ok: true; id: string } | { ok: false; reason: 'duplicate' }> {
    try {
      return await this.db.tx(async (t) => {
        const { id } = await t.one<{ id: string }>('insert into carriers (name) values ($1) returning id', [name]);
        await audit(t, actor, 'carrier.create', `carrier:${id}`, { name });
        return { ok: true as const, id };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'duplicate' };
      throw error;
    }
  }

  async carrier(id: string): Promise<CarrierRow | null> {
    return this.db.oneOrNone<CarrierRow>('select id, name, status, created_at from carriers where id = $1', [id]);
  }

  async carriers(): Promise<CarrierRow[]> {
    return this.db.any<CarrierRow>('select id, name, status, created_at from carriers order by name');
  }

  async setCarrierStatus(id: string, status: 'active' | 'suspended', actor: string): Promise<boolean> {
    return this.db.tx(async (t) => {
      const result = await t.result('update carriers set status = $2 where id = $1', [id, status]);
      if (result.rowCount === 0) return false;
      await audit(t, actor, `carrier.${status === 'active' ? 'reactivate' : 'suspend'}`, `carrier:${id}`);
      return true;
    });
  }

  async createTrunk(carrier_id: string, input: TrunkInput, actor: string): Promise<{ ok: true; id: string } | { ok: false; reason: 'duplicate' }> {
    try {
      return await this.db.tx(async (t) => {
        const { id } = await t.one<{ id: string }>(
          `insert into trunks (carrier_id, direction, host, port, transport, tech_prefix, channels, cps, direct_media, identity_policy)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
          [carrier_id, input.direction, input.host, input.port, input.transport, input.tech_prefix, input.channels, input.cps, input.direct_media, input.identity_policy],
        );
        await audit(t, actor, 'trunk.create', `carrier:${carrier_id}`, { trunk_id: id, ...input });
        return { ok: true as const, id };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'duplicate' };
      throw error;
    }
  }

  async trunks(carrier_id: string): Promise<TrunkRow[]> {
    return this.db.any<TrunkRow>(
      'select id, carrier_id, direction, host(host) as host, port, transport, tech_prefix, channels, cps, direct_media, identity_policy from trunks where carrier_id = $1 order by created_at',
      [carrier_id],
    );
  }

  async createDestination(name: string, prefixes: readonly string[], actor: string): Promise<{ ok: true; id: string } | { ok: false; reason: 'duplicate' }> {
    try {
      return await this.db.tx(async (t) => {
        const { id } = await t.one<{ id: string }>('insert into destinations (name) values ($1) returning id', [name]);
        for (const prefix of prefixes) {
          await t.none('insert into destination_prefixes (prefix, destination_id) values ($1, $2)', [prefix, id]);
        }
        await audit(t, actor, 'destination.create', `destination:${id}`, { name, prefixes });
        return { ok: true as const, id };
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'duplicate' };
      throw error;
    }
  }

  async destinations(): Promise<Array<{ id: string; name: string; prefixes: string[] }>> {
    return this.db.any(
      `select d.id, d.name, coalesce(array_agg(p.prefix order by p.prefix) filter (where p.prefix is not null), '{}') as prefixes
       from destinations d left join destination_prefixes p on p.destination_id = d.id group by d.id order by d.name`,
    );
  }
}

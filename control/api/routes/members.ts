/**
 * Carriers, their trunks, and destinations: operator actions, each audited. A carrier may read its
 * own record and the destinations (it needs their prefixes to place orders), nothing else here.
 */
import { isIP } from 'node:net';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf, requireOperator, requireOwnCarrier } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { Created, ErrorBody, IdParams } from '../schemas.ts';

const CarrierBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const TrunkBody = Type.Object(
  {
    direction: Type.Union([Type.Literal('ingress'), Type.Literal('egress')]),
    address: Type.String({ minLength: 7, maxLength: 21, description: 'IPv4 address; egress trunks may add :port (default 5060)' }),
    transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')])),
    tech_prefix: Type.Optional(Type.String({ pattern: '^[0-9#*]{1,16}$' })),
    channels: Type.Integer({ minimum: 1, maximum: 100000 }),
    cps: Type.Integer({ minimum: 1, maximum: 10000 }),
    direct_media: Type.Optional(Type.Boolean({ description: 'media straight between the carriers when both trunks of a call ask for it (each then learns the other\'s media address); default false' })),
    identity_policy: Type.Optional(Type.Union([Type.Literal('pass'), Type.Literal('strip'), Type.Literal('assert')], {
      description: 'egress trunks: what the seller receives of the caller\'s asserted identity; default pass' })),
  },
  { additionalProperties: false },
);
const StatusBody = Type.Object({ status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]) }, { additionalProperties: false });
const DestinationBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), prefixes: Type.Array(Type.String({ pattern: '^[0-9]{1,15}$' }), { minItems: 1, maxItems: 1000, uniqueItems: true }) },
  { additionalProperties: false },
);

function parseAddress(address: string, direction: 'ingress' | 'egress'): { host: string; port: number | null } {
  const match = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(address);
  if (!match || isIP(match[1]!) !== 4) throw badRequest('invalid_address', 'address must be an IPv4 address, with :port for an egress trunk');
  if (match[2] === undefined) return { host: match[1]!, port: null };
  const port = Number(match[2]);
  if (direction === 'ingress') throw badRequest('invalid_address', 'an ingress trunk is recognised by source address alone: no port');
  if (port < 1 || port > 65535) throw badRequest('invalid_address', 'port must be 1..65535');
  return { host: match[1]!, port };
}

export function registerMemberRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post('/v1/carriers', { schema: { tags: ['carriers'], body: CarrierBody, response: { 201: Created, 400: ErrorBody } } }, async (request, reply) => {
    requireOperator(request);
    const result = await deps.members.createCarrier(request.body.name, actorOf(request));
    if (!result.ok) throw new ApiError(409, 'duplicate', 'a carrier with this name exists');
    await deps.snapshots.changed({ kind: 'carriers', ids: [result.id] });
    return reply.status(201).send({ id: result.id });
  });

  api.get('/v1/carriers', { schema: { tags: ['carriers'] } }, async (request) => {
    requireOperator(request);
    const carriers = await deps.members.carriers();
    return { carriers: carriers.map((carrier) => ({ ...carrier, created_at: carrier.created_at.toISOString() })) };
  });

  api.get('/v1/carriers/:id', { schema: { tags: ['carriers'], params: IdParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const carrier = await deps.members.carrier(request.params.id);
    if (!carrier) throw notFound('unknown carrier');
    const trunks = await deps.members.trunks(carrier.id);
    return { ...carrier, created_at: carrier.created_at.toISOString(), trunks };
  });

  api.put('/v1/carriers/:id/status', { schema: { tags: ['carriers'], params: IdParams, body: StatusBody } }, async (request) => {
    requireOperator(request);
    const changed = await deps.members.setCarrierStatus(request.params.id, request.body.status, actorOf(request));
    if (!changed) throw notFound('unknown carrier');
    await deps.snapshots.changed({ kind: 'carriers', ids: [request.params.id] });
    // A suspended carrier stops trading: its orders resting on the book are cancelled (each
    // audited as the operator's), or other carriers' new orders would still trade with them. Its
    // trades stand; routing skips a suspended carrier until it is reinstated.
    const orders_cancelled = request.body.status === 'suspended'
      ? (await deps.exchange.cancelRestingOrdersOf(request.params.id, 'carrier suspended', actorOf(request))).cancelled
      : [];
    return { id: request.params.id, status: request.body.status, orders_cancelled };
  });

  api.post('/v1/carriers/:id/trunks', { schema: { tags: ['carriers'], params: IdParams, body: TrunkBody, response: { 201: Created, 400: ErrorBody } } }, async (request, reply) => {
    requireOperator(request);
    const body = request.body;
    const carrier = await deps.members.carrier(request.params.id);
    if (!carrier) throw badRequest('unknown_carrier', 'unknown carrier');
    const { host, port } = parseAddress(body.address, body.direction);
    if (body.direction === 'egress' && body.tech_prefix !== undefined) throw badRequest('invalid_request', 'tech_prefix applies to ingress trunks only');
    if (body.direction === 'ingress' && body.identity_policy !== undefined) throw badRequest('invalid_request', 'identity_policy applies to egress trunks only');
    const result = await deps.members.createTrunk(
      carrier.id,
      { direction: body.direction, host, port, transport: body.transport ?? 'udp', tech_prefix: body.tech_prefix ?? null, channels: body.channels, cps: body.cps,
        direct_media: body.direct_media ?? false, identity_policy: body.identity_policy ?? 'pass' },
      actorOf(request),
    );
    if (!result.ok) throw new ApiError(409, 'duplicate', 'another ingress trunk has this address and tech prefix');
    await deps.snapshots.changed({ kind: 'trunks', ids: [result.id] });
    return reply.status(201).send({ id: result.id });
  });

  api.post('/v1/destinations', { schema: { tags: ['destinations'], body: DestinationBody, response: { 201: Created, 400: ErrorBody } } }, async (request, reply) => {
    requireOperator(request);
    const result = await deps.members.createDestination(request.body.name, request.body.prefixes, actorOf(request));
    if (!result.ok) throw new ApiError(409, 'duplicate', 'a destination with this name or one of these prefixes exists');
    await deps.snapshots.changed({ kind: 'destinations', ids: [result.id] });
    return reply.status(201).send({ id: result.id });
  });

  api.get('/v1/destinations', { schema: { tags: ['destinations'] } }, async () => ({ destinations: await deps.members.destinations() }));
}

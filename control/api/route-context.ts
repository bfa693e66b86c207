/** What route handlers get: the API's dependencies and the parts the API builds for itself at start. */
import type { ApiKeyStore } from '../store/api-keys.ts';
import type { OperatorStore } from '../store/operators.ts';
import type { CounterpartyAliases } from './anonymity.ts';
import type { ApiDependencies } from './dependencies.ts';

export interface RouteContext extends ApiDependencies {
  readonly apiKeys: ApiKeyStore;
  readonly operators: OperatorStore;
  readonly aliases: CounterpartyAliases;
}

/** The Temporal client used by api, bot and the ops CLI, and search-attribute registration. */
import { Client, Connection } from '@temporalio/client';
// CommonJS module: a default import works both under tsx and vitest.
import proto from '@temporalio/proto';
import type { Config } from '../config';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export async function connectTemporal(
  config: Pick<Config, 'temporal'>,
): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '10s' }).catch(
    (error: unknown) => {
      throw new Error(
        `Temporal is not reachable at ${config.temporal.address} (TEMPORAL_ADDRESS): ${error instanceof Error ? error.message : String(error)}`,
      );
    },
  );
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { client, connection };
}

/** Registers the product's custom search attributes; a no-op for those already there. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { IndexedValueType } = proto.temporal.api.enums.v1;
  const typeOf: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
    INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, typeOf[key.type]!])),
  });
}

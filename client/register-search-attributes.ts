import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { runbookSearchAttributes } from '../workflows/search-attributes.js';

/**
 * Registers RunbookSite and RunbookStage on a namespace. The dev server's own flag registers
 * them only when it creates its database, so a demo reusing its persisted history must ask.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = runbookSearchAttributes.filter((key) => !(key.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}

/**
 * The SQLSTATE of a database error (`23505`, `22021`, …): on TypeORM's `QueryFailedError` it is the
 * wrapped driver error's; on node-postgres's own error, its own. Undefined for anything else.
 */
export function sqlState(error: unknown): string | undefined {
  const failed = error as { driverError?: { code?: unknown }; code?: unknown } | null | undefined;
  const code = failed?.driverError?.code ?? failed?.code;
  return typeof code === 'string' ? code : undefined;
}

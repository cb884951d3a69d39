/**
 * The PostgreSQL backup and restore commands of the runbook (infra/README.md).
 * The flags live here so that the tests run exactly these against a real
 * PostgreSQL, and check that the README shows them.
 */
export const PG_BACKUP = {
  /** Custom format: compressed, restorable selectively; without owners and grants it restores under any role. */
  dumpArgs: ['--format=custom', '--no-owner', '--no-privileges'],
  /** Replaces what exists, all or nothing (one transaction), stopping at the first error. */
  restoreArgs: ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error'],
} as const;

/** The README's backup command (run on server A, from the repository root). */
export const PG_DUMP_COMMAND =
  `docker compose -f infra/server-a/compose.yml exec -T postgres sh -c 'pg_dump ${PG_BACKUP.dumpArgs.join(' ')} -U "$POSTGRES_USER" "$POSTGRES_DB"' > /var/backups/voc/voc-$(date +%F-%H%M).dump`;

/** The README's restore command (services stopped first). */
export const PG_RESTORE_COMMAND =
  `docker compose -f infra/server-a/compose.yml exec -T postgres sh -c 'pg_restore ${PG_BACKUP.restoreArgs.join(' ')} -U "$POSTGRES_USER" -d "$POSTGRES_DB"' < /var/backups/voc/voc-2025-06-01-0300.dump`;

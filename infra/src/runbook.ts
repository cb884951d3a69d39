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

/**
 * The README's logical dump (from the repository root, on server A; the
 * replica serves it as well as the primary). Through the node's own socket,
 * as the cluster's superuser (the services' POSTGRES_USER).
 */
export const PG_DUMP_COMMAND =
  `docker compose -f infra/server-a/compose.yml exec -T pg-a sh -c 'pg_dump ${PG_BACKUP.dumpArgs.join(' ')} -h /var/run/postgresql -U "$PATRONI_SUPERUSER_USERNAME" "$POSTGRES_DB"' > /var/backups/voc/voc-$(date +%F-%H%M).dump`;

/** The README's restore of a dump (services stopped first), on the host whose node is the primary (here A). */
export const PG_RESTORE_COMMAND =
  `docker compose -f infra/server-a/compose.yml exec -T pg-a sh -c 'pg_restore ${PG_BACKUP.restoreArgs.join(' ')} -h /var/run/postgresql -U "$PATRONI_SUPERUSER_USERNAME" -d "$POSTGRES_DB"' < /var/backups/voc/voc-2025-06-01-0300.dump`;

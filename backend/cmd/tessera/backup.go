package main

import (
	"context"
	"fmt"
	"io"

	"tessera/backend/store"
)

const backupUsage = `Usage: tessera backup PATH

Writes a consistent copy of the SQLite database (DATA_DIR/tessera.db, or
DATABASE_URL's file) to PATH, which must not exist, while the server goes on
serving. The copy holds users, sessions, the blocklist and security events;
it is readable by its owner only. Keep the signing key with it: JWT_SECRET,
or DATA_DIR/jwt-secret. To restore, stop the server and put the copy in the
database's place.

On PostgreSQL, use pg_dump instead.
`

// runBackup is `tessera backup PATH`.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprint(stdout, backupUsage)
		return 0
	}
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintf(stderr, "tessera backup: want one PATH\n\n%s", backupUsage)
		return 2
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "tessera backup: configuration: %s\n", redactDSN(err.Error(), getenv("DATABASE_URL")))
		return 2
	}
	if kind, _, _ := store.ParseDSN(cfg.DatabaseURL); kind == store.Postgres {
		fmt.Fprintf(stderr, "tessera backup: %v\n", store.ErrBackupPostgres)
		return 2
	}
	if path := missingSQLite(cfg.DatabaseURL); path != "" {
		fmt.Fprintf(stderr, "tessera backup: %s\n", noDatabase(path))
		return 1
	}
	info, err := store.Backup(ctx, cfg.DatabaseURL, args[0])
	if err != nil {
		fmt.Fprintf(stderr, "tessera backup: %s\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backed up %d users to %s (%d bytes)\n", info.Users, info.Path, info.Bytes)
	return 0
}

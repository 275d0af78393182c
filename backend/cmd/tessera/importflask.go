package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"tessera/backend/auth"
	"tessera/backend/store"
	"tessera/shared"
)

// importUsage is what `tessera import-flask -h` prints.
const importUsage = `Usage: tessera import-flask [--dry-run] SOURCE_URL

Imports the users and the revoked tokens of a Flask + Flask-JWT-Extended app
(the tables "user" and "token_blocklist" that Flask-SQLAlchemy made from the
tutorial's models) into Tessera's database: the one DATA_DIR or DATABASE_URL
selects, as for tessera itself (see tessera -h). It may run while the server
runs, which sees the changes at once.

SOURCE_URL is the Flask app's SQLALCHEMY_DATABASE_URI, which is only read:
  sqlite:////ABSOLUTE/PATH/app.db   (four slashes)
  sqlite:///RELATIVE/PATH/app.db    (relative to the current folder)
  postgresql://USER:PASSWORD@HOST:5432/DATABASE?sslmode=disable
                                    (libpq's options=-csearch_path%3DSCHEMA works)

  --dry-run   print what the import would do; change nothing

In one transaction, all or nothing:
  - Each user keeps its id, its name and its password: werkzeug's pbkdf2 and
    scrypt hashes sign in as they are and become bcrypt at the user's next
    sign-in (passwords over 72 bytes, too long for bcrypt, keep theirs).
    Its creation time is 1970-01-01T00:00:00Z, meaning "before the import",
    so that the tokens the Flask app issued stay valid.
  - A user is refused, and listed with the reason, when Tessera refuses its
    name (3 to 64 characters in Unicode NFC form, no control characters nor
    surrounding spaces, unique), when its password hash is of a kind Tessera
    cannot check, or when Tessera holds its id or its name for another
    account, or with another hash. Nothing of it is changed.
  - Each revoked token id (jti) stays revoked for REFRESH_TOKEN_TTL or 30
    days (Flask-JWT-Extended's default refresh lifetime), whichever is
    longer, plus a day, after its revocation: after that the token has
    expired anyway. If the Flask app's JWT_REFRESH_TOKEN_EXPIRES was longer,
    set REFRESH_TOKEN_TTL to it for the import.
  - New accounts get ids above every id of the Flask database.
A second run imports only what is missing, and says so.

Exit status: 0 done, every user imported or there already; 3 done, but some
users were refused (listed); 1 failed, nothing changed; 2 usage or
configuration error.
`

// Exit codes of `tessera import-flask` beyond 0, 1 and 2.
const exitRefused = 3

// flaskRefreshTTL is Flask-JWT-Extended's default JWT_REFRESH_TOKEN_EXPIRES,
// the longest a token of a Flask app that kept the defaults lives.
const flaskRefreshTTL = 30 * 24 * time.Hour

// revokedSlack covers the time zone of the blocklist's created_at, which the
// Flask table does not keep (UTC in the tutorial), and clock skew.
const revokedSlack = 24 * time.Hour

// revokedFor is how long after its revocation an imported jti stays
// revoked: as long as a token of either app may live after it was issued
// (and it was issued before it was revoked).
func revokedFor(cfg Config) time.Duration {
	return max(cfg.RefreshTTL, cfg.AccessTTL, flaskRefreshTTL) + revokedSlack
}

// importName returns why Tessera refuses name, as POST /api/register
// would, or nil. A name that is not in NFC form is refused rather than
// changed: Tessera stores names normalized.
func importName(name string) error {
	switch {
	case name == "":
		return errors.New("no name")
	case !utf8.ValidString(name):
		return errors.New(shared.MsgUsernameInvalid + " (not UTF-8)")
	case norm.NFC.String(name) != name:
		return fmt.Errorf("not in Unicode NFC form, in which Tessera keeps names (it would be %q)", norm.NFC.String(name))
	}
	if e := shared.CheckUsername(name); e != nil {
		return errors.New(e.Msg)
	}
	return nil
}

// runImportFlask runs `tessera import-flask ARGS...` and returns the exit
// code.
func runImportFlask(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "tessera import-flask: "+format+"\n\n", a...)
		fmt.Fprint(stderr, importUsage)
		return 2
	}
	dryRun := false
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			i = len(args)
		case a == "-h" || a == "-help" || a == "--help" || a == "help" && len(args) == 1:
			fmt.Fprint(stdout, importUsage)
			return 0
		case a == "--dry-run" || a == "-dry-run":
			dryRun = true
		case strings.HasPrefix(a, "-") && a != "-":
			return usageErr("unknown flag %q", a)
		default:
			operands = append(operands, a)
		}
	}
	switch {
	case len(operands) == 0:
		return usageErr("SOURCE_URL is missing")
	case len(operands) > 1:
		return usageErr("unexpected argument %q", store.Redacted(operands[1]))
	}
	source := operands[0]
	if _, _, err := store.ParseFlaskURL(source); err != nil {
		return usageErr("SOURCE_URL: %s", redactDSN(err.Error(), source))
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "tessera import-flask: configuration: %s\n\nRun tessera -h for the configuration table.\n", redactDSN(err.Error(), getenv("DATABASE_URL")))
		return 2
	}
	code, err := importFlask(ctx, cfg, source, dryRun, stdout, stderr)
	if err != nil {
		msg := redactDSN(redactDSN(err.Error(), cfg.DatabaseURL), source)
		fmt.Fprintf(stderr, "tessera import-flask: %s\n", msg)
		return 1
	}
	return code
}

// importFlask reads the source, imports it (or not, on a dry run) and
// prints the report; it returns the exit code of a run that did not fail.
func importFlask(ctx context.Context, cfg Config, source string, dryRun bool, stdout, stderr io.Writer) (int, error) {
	target := cfg.DatabaseURL
	kind, path, err := store.ParseDSN(target)
	if err == nil && kind == store.SQLite {
		if srcKind, srcPath, _ := store.ParseFlaskURL(source); srcKind == store.SQLite && samePath(path, srcPath) {
			return 0, fmt.Errorf("SOURCE_URL is Tessera's own database (%s): give the Flask app's", path)
		}
	}
	// The source first: a wrong one changes nothing here.
	data, err := store.ReadFlask(ctx, source)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", store.Redacted(source), err)
	}
	newFile := missingSQLite(target)
	if newFile != "" && dryRun {
		// Nothing may be created: the run compares with an empty database
		// of its own.
		dir, err := os.MkdirTemp("", "tessera-import-dry-run-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		target = "sqlite:" + filepath.Join(dir, "tessera.db")
		fmt.Fprintf(stdout, "there is no database at %s yet: the import would create it\n", newFile)
	}
	db, _, err := openStore(ctx, target, true)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if newFile != "" && !dryRun {
		fmt.Fprintf(stderr, "tessera import-flask: created a new database at %s\n", newFile)
	}
	rep, err := db.ImportFlask(ctx, data, store.ImportOptions{
		DryRun:     dryRun,
		CheckName:  importName,
		CheckHash:  auth.ValidateHash,
		RevokedFor: revokedFor(cfg),
	})
	if err != nil {
		return 0, err
	}
	printImport(stdout, rep, len(data.Users), len(data.Revoked))
	if len(rep.Refused) > 0 {
		return exitRefused, nil
	}
	return 0, nil
}

// printImport prints what the import did: the refused users, one a line,
// then the counts.
func printImport(w io.Writer, rep *store.ImportReport, users, revoked int) {
	verb := "imported"
	if rep.DryRun {
		verb = "to import"
		fmt.Fprintln(w, "dry run: nothing was changed")
	}
	for _, r := range rep.Refused {
		fmt.Fprintf(w, "refused user %d %q: %s\n", r.ID, r.Name, r.Reason)
	}
	fmt.Fprintf(w, "users: %d %s, %d there already, %d refused (of %d in the Flask database)\n",
		rep.UsersImported, verb, rep.UsersThere, len(rep.Refused), users)
	fmt.Fprintf(w, "revoked tokens: %d %s, %d there already", rep.TokensImported, verb, rep.TokensThere)
	if rep.TokensExpired > 0 {
		fmt.Fprintf(w, ", %d expired by now (not needed)", rep.TokensExpired)
	}
	if rep.TokensNoJTI > 0 {
		fmt.Fprintf(w, ", %s without a jti (nothing to revoke)", plural(rep.TokensNoJTI, "row", "rows"))
	}
	fmt.Fprintf(w, " (of %d rows)\n", revoked)
	switch {
	case !rep.Changed() && len(rep.Refused) > 0:
		fmt.Fprintln(w, "nothing to import: the rest is there already or refused")
	case !rep.Changed():
		fmt.Fprintln(w, "nothing to import: everything is there already")
	case rep.DryRun:
		fmt.Fprintf(w, "new accounts would get ids above %d\n", rep.HighestID)
	default:
		fmt.Fprintf(w, "new accounts get ids above %d\n", rep.HighestID)
	}
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	ra, err1 := realPath(a)
	rb, err2 := realPath(b)
	return err1 == nil && err2 == nil && ra == rb
}

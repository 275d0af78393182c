package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The import of a Flask + Flask-JWT-Extended app's database (`tessera
// import-flask`): its tables, as Flask-SQLAlchemy makes them from the
// tutorial's models, are
//
//	user (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, password VARCHAR)
//	token_blocklist (id INTEGER PRIMARY KEY, jti VARCHAR(36) NOT NULL,
//	                 type VARCHAR(16) NOT NULL, created_at DATETIME NOT NULL)
//
// where password is werkzeug's generate_password_hash and created_at the
// time of the logout that revoked jti, without a time zone.

// ImportedCreatedAt is the creation time of an imported user: the Flask
// table has none, and it means "before the import". The API refuses a
// token without a session issued before its user's creation; the epoch
// keeps the Flask app's tokens valid.
var ImportedCreatedAt = time.Unix(0, 0).UTC()

// FlaskUser is a row of the Flask app's user table; a NULL is "".
type FlaskUser struct {
	ID       int64
	Name     string
	Password string
}

// FlaskRevoked is a row of the Flask app's token_blocklist table.
// CreatedAt is zero when it could not be read.
type FlaskRevoked struct {
	JTI, Type string
	CreatedAt time.Time
}

// FlaskData is what the import reads from a Flask app's database.
type FlaskData struct {
	Users   []FlaskUser // by id
	Revoked []FlaskRevoked
}

// flaskURLForms is how a source URL may look.
const flaskURLForms = "want sqlite:////ABSOLUTE/PATH/app.db, sqlite:///RELATIVE/PATH/app.db or postgresql://USER:PASSWORD@HOST:5432/DATABASE"

// ParseFlaskURL reads a SQLAlchemy database URL, a Flask app's
// SQLALCHEMY_DATABASE_URI: sqlite:///PATH (relative to the current
// folder; sqlite:////PATH is absolute) selects that SQLite file;
// postgresql:// and postgres:// URLs select PostgreSQL, with libpq's
// parameters sslmode and options (such as options=-csearch_path%3Dflask,
// see pgParams).
// A driver after the dialect (postgresql+psycopg2://, sqlite+pysqlite://)
// is ignored. It returns the kind and the SQLite path or PostgreSQL DSN;
// its errors never show the URL's password.
func ParseFlaskURL(raw string) (Kind, string, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", "", errors.New("not a SQLAlchemy URL: " + flaskURLForms)
	}
	name, _, _ := strings.Cut(scheme, "+")
	switch name {
	case "sqlite":
		path, ok := strings.CutPrefix(rest, "/")
		switch {
		case !ok && rest != "":
			return "", "", errors.New("a host in a sqlite URL: " + flaskURLForms)
		case path == "" || path == ":memory:":
			return "", "", errors.New("an in-memory SQLite database holds nothing to import: " + flaskURLForms)
		case strings.ContainsAny(path, "?#"):
			return "", "", errors.New("parameters (?...) in a sqlite URL are not supported: give the file's path alone")
		}
		return SQLite, path, nil
	case "postgres", "postgresql":
		kind, dsn, err := ParseDSN("postgres://" + rest)
		if err != nil {
			return "", "", err
		}
		if dsn, err = pgParams(dsn); err != nil {
			return "", "", err
		}
		return kind, dsn, nil
	case "mysql", "mariadb", "oracle", "mssql":
		return "", "", fmt.Errorf("%s databases are not supported: %s", name, flaskURLForms)
	default:
		return "", "", errors.New("not a SQLite or PostgreSQL URL: " + flaskURLForms)
	}
}

// pgParams turns the libpq parameters of a PostgreSQL URL that the driver
// does not know into its own: each "-c name=value" of options becomes a
// parameter name=value, which the driver sets on each connection; a
// client_encoding of UTF8, the only one the driver speaks, goes.
func pgParams(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("not a valid URL")
	}
	q := u.Query()
	if enc := q.Get("client_encoding"); enc != "" {
		if e := strings.ToUpper(strings.ReplaceAll(enc, "-", "")); e != "UTF8" {
			return "", fmt.Errorf("client_encoding %q: only UTF8 is supported", enc)
		}
		q.Del("client_encoding")
	}
	if opts, ok := q["options"]; ok {
		q.Del("options")
		for _, o := range opts {
			settings, err := libpqOptions(o)
			if err != nil {
				return "", err
			}
			for _, kv := range settings {
				q.Set(kv[0], kv[1])
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// libpqOptions reads libpq's options parameter: "-c name=value" (or
// "-cname=value", "--name=value") settings separated by spaces, a backslash
// escaping the next character.
func libpqOptions(s string) ([][2]string, error) {
	var words []string
	var word strings.Builder
	inWord, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			word.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped, inWord = true, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	var out [][2]string
	for i := 0; i < len(words); i++ {
		var setting string
		switch w := words[i]; {
		case w == "-c" && i+1 < len(words):
			i++
			setting = words[i]
		case strings.HasPrefix(w, "-c") && w != "-c":
			setting = w[2:]
		case strings.HasPrefix(w, "--"):
			setting = strings.ReplaceAll(w[2:], "-", "_")
		default:
			return nil, errors.New(`options: only "-c name=value" settings are supported`)
		}
		name, value, ok := strings.Cut(setting, "=")
		if !ok || name == "" || strings.Trim(strings.ToLower(name), "abcdefghijklmnopqrstuvwxyz0123456789_.") != "" {
			return nil, fmt.Errorf("options: %.40q is not a setting name=value", setting)
		}
		out = append(out, [2]string{name, value})
	}
	return out, nil
}

// ReadFlask reads the users and revoked tokens of the Flask app's database
// at sourceURL (see ParseFlaskURL), in one read-only snapshot; it writes
// nothing there. A source that is not such a database (no such file, not
// a database, missing tables or columns, no connection) is an error that
// says so. Its errors never show the URL's password.
func ReadFlask(ctx context.Context, sourceURL string) (*FlaskData, error) {
	data, err := readFlask(ctx, sourceURL)
	if err != nil {
		return nil, &redactedError{err: err, dsn: sourceURL}
	}
	return data, nil
}

func readFlask(ctx context.Context, sourceURL string) (*FlaskData, error) {
	kind, target, err := ParseFlaskURL(sourceURL)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	if kind == SQLite {
		db, err = openFlaskSQLite(target)
	} else {
		db, err = openFlaskPostgres(target)
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	opts := &sql.TxOptions{ReadOnly: true}
	if kind == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return nil, flaskError(kind, target, err)
	}
	defer tx.Rollback()
	for _, t := range []struct {
		table   string
		columns []string
	}{
		{"user", []string{"id", "name", "password"}},
		{"token_blocklist", []string{"jti", "type", "created_at"}},
	} {
		if err := checkFlaskTable(ctx, tx, kind, t.table, t.columns); err != nil {
			return nil, flaskError(kind, target, err)
		}
	}
	data := &FlaskData{}
	if data.Users, err = readFlaskUsers(ctx, tx); err != nil {
		return nil, flaskError(kind, target, err)
	}
	if data.Revoked, err = readFlaskRevoked(ctx, tx, kind); err != nil {
		return nil, flaskError(kind, target, err)
	}
	return data, nil
}

// openFlaskSQLite opens the SQLite file at path read-only; a missing file
// is an error (SQLite would make an empty one).
func openFlaskSQLite(path string) (*sql.DB, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("there is no file %s (sqlite:///PATH is relative to the current folder; an absolute path takes four slashes, as in sqlite:////srv/app/app.db)", path)
	case err != nil:
		return nil, err
	case info.IsDir():
		return nil, fmt.Errorf("%s is a folder, not a SQLite database", path)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// openFlaskPostgres connects to the PostgreSQL database of dsn.
func openFlaskPostgres(dsn string) (db *sql.DB, err error) {
	// pgdriver.WithDSN panics on a DSN it cannot parse.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parse postgres URL: %v", r)
		}
	}()
	db = sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithTimeout(30*time.Second)))
	db.SetMaxOpenConns(1)
	return db, nil
}

// flaskError says what err means for the source: a file that is not a
// SQLite database, a server that cannot be reached.
func flaskError(kind Kind, target string, err error) error {
	var sqlErr *sqlite.Error
	switch {
	case kind == SQLite && errors.As(err, &sqlErr) && sqlErr.Code()&0xff == sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%s is not a SQLite database", target)
	case kind == SQLite:
		return fmt.Errorf("read %s: %w", target, err)
	case IsUnavailable(err):
		return fmt.Errorf("cannot reach the PostgreSQL server: %w", err)
	}
	return err
}

// checkFlaskTable makes sure the source has table with columns.
func checkFlaskTable(ctx context.Context, tx *sql.Tx, kind Kind, table string, columns []string) error {
	// The names are constants: no quoting of user input is needed.
	q := "SELECT name FROM pragma_table_info('" + table + "')"
	if kind == Postgres {
		// "user" must be quoted: unquoted, it is the current user.
		q = `SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('"` + table + `"') AND attnum > 0 AND NOT attisdropped`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		have[strings.ToLower(name)] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(have) == 0 {
		return fmt.Errorf("the source has no table %q: is it the Flask app's database?", table)
	}
	for _, c := range columns {
		if !have[c] {
			return fmt.Errorf("the source's table %q has no column %q: is it the Flask app's?", table, c)
		}
	}
	return nil
}

func readFlaskUsers(ctx context.Context, tx *sql.Tx) ([]FlaskUser, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, name, password FROM "user" ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read the users: %w", err)
	}
	defer rows.Close()
	var users []FlaskUser
	for rows.Next() {
		var id int64
		var name, password sql.NullString
		if err := rows.Scan(&id, &name, &password); err != nil {
			return nil, fmt.Errorf("read the users: %w", err)
		}
		users = append(users, FlaskUser{ID: id, Name: name.String, Password: password.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the users: %w", err)
	}
	return users, nil
}

func readFlaskRevoked(ctx context.Context, tx *sql.Tx, kind Kind) ([]FlaskRevoked, error) {
	// On PostgreSQL created_at is a timestamp without time zone, written
	// in the session's time zone (the server's default, which this
	// connection has too): the cast reads it back as the instant it was.
	q := `SELECT jti, type, created_at FROM token_blocklist`
	if kind == Postgres {
		q = `SELECT jti, type, created_at::timestamptz FROM token_blocklist`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read the revoked tokens: %w", err)
	}
	defer rows.Close()
	var out []FlaskRevoked
	for rows.Next() {
		var jti, typ sql.NullString
		var created any
		if err := rows.Scan(&jti, &typ, &created); err != nil {
			return nil, fmt.Errorf("read the revoked tokens: %w", err)
		}
		out = append(out, FlaskRevoked{JTI: jti.String, Type: typ.String, CreatedAt: flaskTime(created)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the revoked tokens: %w", err)
	}
	return out, nil
}

// flaskTimeLayouts are how SQLAlchemy and SQLite write a DATETIME in a
// SQLite file: SQLAlchemy without a zone, CURRENT_TIMESTAMP (the column's
// default) in UTC.
var flaskTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04",
	"2006-01-02",
}

// flaskTime reads a created_at of the source: a time (the driver parsed
// it), text in one of flaskTimeLayouts (without a zone: UTC, as the
// tutorial writes it), or Unix seconds; anything else is the zero time.
func flaskTime(v any) time.Time {
	switch v := v.(type) {
	case time.Time:
		return v.UTC()
	case []byte:
		return flaskTime(string(v))
	case string:
		v = strings.TrimSpace(v)
		for _, layout := range flaskTimeLayouts {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC()
			}
		}
	case int64:
		return time.Unix(v, 0).UTC()
	case float64:
		return time.Unix(int64(v), 0).UTC()
	}
	return time.Time{}
}

// ImportOptions says how ImportFlask imports.
type ImportOptions struct {
	// DryRun computes the report and changes nothing.
	DryRun bool
	// CheckName returns why Tessera refuses name, or nil; nil takes any
	// name.
	CheckName func(name string) error
	// CheckHash returns why passwords cannot be checked against hash, or
	// nil; nil takes any hash.
	CheckHash func(hash string) error
	// RevokedFor is how long after its revocation (the blocklist row's
	// created_at) a revoked token may still be unexpired: the imported row
	// expires then. A row whose time has passed is not imported.
	RevokedFor time.Duration
}

// Refusal is a user ImportFlask did not import, and why.
type Refusal struct {
	ID     int64
	Name   string
	Reason string
}

// ImportReport is what ImportFlask did, or, on a dry run, would do.
type ImportReport struct {
	DryRun        bool
	UsersImported int       // new users (on a dry run: to import)
	UsersThere    int       // same id, name and hash in Tessera already
	Refused       []Refusal // by id
	// HighestID is the highest user id of Tessera and of the source:
	// new accounts get ids above it.
	HighestID int64
	// Revoked token ids: new, revoked in Tessera already, expired by now
	// (not needed), without a jti (nothing to revoke).
	TokensImported, TokensThere, TokensExpired, TokensNoJTI int
}

// Changed reports whether the import changed (or would change) anything.
func (r *ImportReport) Changed() bool { return r.UsersImported > 0 || r.TokensImported > 0 }

// errDryRun ends a dry run's transaction.
var errDryRun = errors.New("dry run")

// importBatch is how many rows one statement of the import reads or writes.
const importBatch = 500

// ImportFlask imports the users and revoked tokens of a Flask app (read by
// ReadFlask) in one transaction: all or nothing. A user keeps its id, name
// and password hash, and is created at ImportedCreatedAt. A user whose
// name or hash opt refuses, whose name several source users share, or
// whose id or name Tessera holds for another account or with another hash
// is refused (listed in the report, not imported, nothing of it changed);
// one Tessera holds with the same id, name and hash is already there.
// Every jti of the blocklist is revoked until its revocation plus
// opt.RevokedFor. New accounts get ids above every id of the source,
// refused ones too. The new names and revoked ids are announced, so that a
// running server's cache sees them. Running it again changes nothing.
func (s *DB) ImportFlask(ctx context.Context, src *FlaskData, opt ImportOptions) (*ImportReport, error) {
	now := s.Now().UTC()
	candidates, refused := checkFlaskUsers(src.Users, opt)
	tokens, expired, noJTI := flaskBlocklist(src.Revoked, opt.RevokedFor, now)
	var highestSource int64
	for _, u := range src.Users {
		highestSource = max(highestSource, u.ID)
	}
	var rep *ImportReport
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) ([]string, error) {
		rep = &ImportReport{DryRun: opt.DryRun, Refused: slices.Clone(refused), TokensExpired: expired, TokensNoJTI: noJTI}
		var keys []string
		pg := s.bun.Dialect().Name() == dialect.PG
		if pg && !opt.DryRun {
			// No account is created meanwhile (sign-ins still read): the
			// checks below hold until the commit.
			if _, err := tx.ExecContext(ctx, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"); err != nil {
				return nil, fmt.Errorf("lock users: %w", err)
			}
		}
		newUsers, err := s.sortFlaskUsers(ctx, tx, candidates, rep)
		if err != nil {
			return nil, err
		}
		newTokens, err := s.newTokens(ctx, tx, tokens, rep)
		if err != nil {
			return nil, err
		}
		// Above every id of the source, refused ones too: one that is put
		// right in the Flask database can be imported later. (The users
		// inserted below keep ids of the source: this is the highest id
		// after the import too.)
		if err := tx.NewSelect().Model((*userRow)(nil)).ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &rep.HighestID); err != nil {
			return nil, fmt.Errorf("highest user id: %w", err)
		}
		rep.HighestID = max(rep.HighestID, highestSource)
		if opt.DryRun {
			rep.UsersImported, rep.TokensImported = len(newUsers), len(newTokens)
			return nil, errDryRun
		}
		for batch := range slices.Chunk(newUsers, importBatch) {
			if _, err := tx.NewInsert().Model(&batch).Returning("NULL").Exec(ctx); err != nil {
				if isUniqueViolation(err) {
					return nil, fmt.Errorf("import users: an id or a name was taken meanwhile, run the import again: %w", err)
				}
				return nil, fmt.Errorf("import users: %w", err)
			}
			for _, u := range batch {
				keys = append(keys, changeKey(keyName, u.Name))
			}
		}
		rep.UsersImported = len(newUsers)
		for batch := range slices.Chunk(newTokens, importBatch) {
			res, err := tx.NewInsert().Model(&batch).On("CONFLICT (jti) DO NOTHING").Returning("NULL").Exec(ctx)
			if err != nil {
				return nil, fmt.Errorf("import revoked tokens: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return nil, fmt.Errorf("import revoked tokens: %w", err)
			}
			// A jti revoked meanwhile (by a logout) is there already.
			rep.TokensImported += int(n)
			rep.TokensThere += len(batch) - int(n)
			for _, t := range batch {
				keys = append(keys, changeKey(keyToken, t.JTI))
			}
		}
		if rep.HighestID > 0 {
			if err := s.continueUserIDs(ctx, tx, rep.HighestID); err != nil {
				return nil, err
			}
		}
		return keys, nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, fmt.Errorf("import: %w", err)
	}
	slices.SortFunc(rep.Refused, func(a, b Refusal) int { return cmp.Compare(a.ID, b.ID) })
	return rep, nil
}

// checkFlaskUsers splits the source's users into those Tessera may take,
// as rows to insert, and those it refuses on their own.
func checkFlaskUsers(users []FlaskUser, opt ImportOptions) ([]userRow, []Refusal) {
	ids := map[string][]int64{}
	for _, u := range users {
		ids[u.Name] = append(ids[u.Name], u.ID)
	}
	var rows []userRow
	var refused []Refusal
	for _, u := range users {
		refuse := func(reason string) { refused = append(refused, Refusal{ID: u.ID, Name: u.Name, Reason: reason}) }
		if opt.CheckName != nil {
			if err := opt.CheckName(u.Name); err != nil {
				refuse(err.Error())
				continue
			}
		}
		if same := ids[u.Name]; len(same) > 1 {
			refuse(fmt.Sprintf("%d users of the Flask database have this name (ids %s), and Tessera's names are unique", len(same), joinIDs(same)))
			continue
		}
		if opt.CheckHash != nil {
			if err := opt.CheckHash(u.Password); err != nil {
				refuse("password: " + err.Error())
				continue
			}
		}
		rows = append(rows, userRow{ID: u.ID, Name: u.Name, Password: u.Password, CreatedAt: ImportedCreatedAt})
	}
	return rows, refused
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// flaskBlocklist returns the blocklist rows to import, one per jti (the
// latest revocation of a jti the source lists twice), by jti; and how
// many jtis expired by now and how many rows have no jti.
func flaskBlocklist(revoked []FlaskRevoked, revokedFor time.Duration, now time.Time) (rows []blockRow, expired, noJTI int) {
	latest := map[string]FlaskRevoked{}
	for _, r := range revoked {
		if r.JTI == "" {
			noJTI++
			continue
		}
		if r.CreatedAt.IsZero() || r.CreatedAt.After(now) {
			// Unknown, or ahead of this clock: as if revoked now, which
			// keeps the row at least as long as needed.
			r.CreatedAt = now
		}
		if old, ok := latest[r.JTI]; !ok || r.CreatedAt.After(old.CreatedAt) {
			latest[r.JTI] = r
		}
	}
	for _, jti := range slices.Sorted(maps.Keys(latest)) {
		r := latest[jti]
		until := r.CreatedAt.Add(revokedFor)
		if !until.After(now) {
			expired++
			continue
		}
		rows = append(rows, blockRow{JTI: jti, Type: r.Type, CreatedAt: r.CreatedAt, ExpiresAt: until})
	}
	return rows, expired, noJTI
}

// sortFlaskUsers compares the candidates with Tessera's users: it counts
// those there already, refuses those in conflict and returns the others.
func (s *DB) sortFlaskUsers(ctx context.Context, tx bun.Tx, candidates []userRow, rep *ImportReport) ([]userRow, error) {
	byID := map[int64]userRow{}
	byName := map[string]userRow{}
	for batch := range slices.Chunk(candidates, importBatch) {
		ids := make([]int64, len(batch))
		names := make([]string, len(batch))
		for i, u := range batch {
			ids[i], names[i] = u.ID, u.Name
		}
		var found []userRow
		err := tx.NewSelect().Model(&found).Column("id", "name", "password").
			Where("id IN (?) OR name IN (?)", bun.List(ids), bun.List(names)).Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("read Tessera's users: %w", err)
		}
		for _, u := range found {
			byID[u.ID], byName[u.Name] = u, u
		}
	}
	var out []userRow
	for _, c := range candidates {
		refuse := func(format string, a ...any) {
			rep.Refused = append(rep.Refused, Refusal{ID: c.ID, Name: c.Name, Reason: fmt.Sprintf(format, a...)})
		}
		if t, ok := byID[c.ID]; ok {
			switch {
			case t.Name == c.Name && t.Password == c.Password:
				rep.UsersThere++
			case t.Name == c.Name:
				refuse("Tessera's user of this id and name has another password hash (changed, or made bcrypt at a sign-in, since an earlier import; or another account): left as it is")
			default:
				refuse("Tessera's user %q has this id", t.Name)
			}
			continue
		}
		if t, ok := byName[c.Name]; ok {
			refuse("Tessera's user %d has this name", t.ID)
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// newTokens counts the jtis Tessera revoked already and returns the others.
func (s *DB) newTokens(ctx context.Context, tx bun.Tx, tokens []blockRow, rep *ImportReport) ([]blockRow, error) {
	there := map[string]bool{}
	for batch := range slices.Chunk(tokens, importBatch) {
		jtis := make([]string, len(batch))
		for i, t := range batch {
			jtis[i] = t.JTI
		}
		var found []string
		if err := tx.NewSelect().Model((*blockRow)(nil)).Column("jti").Where("jti IN (?)", bun.List(jtis)).Scan(ctx, &found); err != nil {
			return nil, fmt.Errorf("read Tessera's blocklist: %w", err)
		}
		for _, jti := range found {
			there[jti] = true
		}
	}
	var out []blockRow
	for _, t := range tokens {
		if there[t.JTI] {
			rep.TokensThere++
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// continueUserIDs makes new accounts get ids above highest: inserts with
// explicit ids leave PostgreSQL's identity sequence where it was. (SQLite's
// AUTOINCREMENT follows them by itself; it is set too, to be sure.) The
// sequence never goes back.
func (s *DB) continueUserIDs(ctx context.Context, tx bun.Tx, highest int64) error {
	if s.bun.Dialect().Name() == dialect.PG {
		_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('users', 'id'),
			GREATEST(?, COALESCE(pg_sequence_last_value(pg_get_serial_sequence('users', 'id')::regclass), 0)))`, highest)
		if err != nil {
			return fmt.Errorf("continue the user ids: %w", err)
		}
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'users'`, highest)
	if err != nil {
		return fmt.Errorf("continue the user ids: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		_, err = tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES ('users', ?)`, highest)
		if err != nil {
			return fmt.Errorf("continue the user ids: %w", err)
		}
	}
	return nil
}

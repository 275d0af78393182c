package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"
	"golang.org/x/text/unicode/norm"

	"tessera/backend"
	"tessera/backend/auth"
	"tessera/backend/store"
	"tessera/shared"
)

// userUsage is what `tessera user -h` prints.
const userUsage = `Usage: tessera user COMMAND [ARGS]

Manages accounts on the server's database (the one DATA_DIR or DATABASE_URL
selects, as for tessera itself; see tessera -h), for servers whose
registration is closed (REGISTRATION=closed). It may run while the server runs.

Commands:
  add NAME            create the user NAME
  delete NAME         delete the user NAME and its sessions
  list [--json]       list every user: id, name, created (RFC 3339, UTC);
                      --json prints one JSON object a line instead
                      ({"id":1,"name":"...","created_at":"..."})
  set-password NAME   replace the password of NAME and end every session
                      of the user
  help                print this help

The password (add, set-password) is asked twice, without echo, when stdin is
a terminal; otherwise it is the first line of stdin (its line break removed,
nothing else). The rules are the API's: a name of 3 to 64 characters (stored
in Unicode NFC form), a password of at least 5 characters and at most 72
bytes. A NAME that begins with - follows --, as in: tessera user add -- -bob

A SQLite database that does not exist yet is created by add only (say, for
the first user of a server not started yet); the other commands refuse, as
DATA_DIR is then most likely not the server's.

Exit status: 0 done, 1 refused (a rule, an unknown or taken name) or failed,
2 usage or configuration error, 130 interrupted.
`

// maxPasswordLine bounds what is read from stdin for a password: anything
// longer is refused as too long anyway.
const maxPasswordLine = 4096

// userCommand is one command of `tessera user`.
type userCommand struct {
	names int  // how many NAME arguments it takes (0 or 1)
	json  bool // whether it takes --json
	run   func(u *userRun, name string) error
}

var userCommands = map[string]userCommand{
	"add":          {names: 1, run: (*userRun).add},
	"delete":       {names: 1, run: (*userRun).remove},
	"list":         {json: true, run: (*userRun).list},
	"set-password": {names: 1, run: (*userRun).setPassword},
}

// userRun is one run of a `tessera user` command.
type userRun struct {
	ctx            context.Context
	cmd            string
	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            Config
	db             *store.DB
	json           bool
}

// refusal is an error whose message is the whole answer (a broken rule, an
// unknown or taken name), shown without the wrapping of internal errors.
type refusal string

func (r refusal) Error() string { return string(r) }

// errInterrupted ends a password prompt on Ctrl-C.
var errInterrupted = errors.New("interrupted")

// runUser runs `tessera user ARGS...` and returns the exit code.
func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "tessera user: "+format+"\n\n", a...)
		fmt.Fprint(stderr, userUsage)
		return 2
	}
	if len(args) == 0 {
		return usageErr("no command given")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, userUsage)
		return 0
	}
	cmd, ok := userCommands[name]
	if !ok {
		return usageErr("unknown command %q", name)
	}
	u := &userRun{ctx: ctx, cmd: name, stdin: stdin, stdout: stdout, stderr: stderr}
	var operands []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			operands = append(operands, rest[i+1:]...)
			i = len(rest)
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprint(stdout, userUsage)
			return 0
		case cmd.json && (a == "--json" || a == "-json"):
			u.json = true
		case strings.HasPrefix(a, "-") && a != "-":
			return usageErr("%s: unknown flag %q", name, a)
		default:
			operands = append(operands, a)
		}
	}
	switch {
	case len(operands) < cmd.names:
		return usageErr("%s: NAME is missing", name)
	case len(operands) > cmd.names:
		return usageErr("%s: unexpected argument %q", name, operands[cmd.names])
	}
	var operand string
	if cmd.names == 1 {
		operand = operands[0]
	}

	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "tessera user: configuration: %s\n\nRun tessera -h for the configuration table.\n", redactDSN(err.Error(), getenv("DATABASE_URL")))
		return 2
	}
	u.cfg = cfg
	defer func() {
		if u.db != nil {
			if err := u.db.Close(); err != nil {
				fmt.Fprintf(stderr, "tessera user %s: close store: %s\n", name, redactDSN(err.Error(), cfg.DatabaseURL))
			}
		}
	}()
	switch err := cmd.run(u, operand); {
	case err == nil:
		return 0
	case errors.Is(err, errInterrupted):
		fmt.Fprintf(stderr, "tessera user %s: interrupted\n", name)
		return 130
	default:
		fmt.Fprintf(stderr, "tessera user %s: %s\n", name, redactDSN(err.Error(), cfg.DatabaseURL))
		return 1
	}
}

// open opens and migrates the store; runUser closes it. Only add creates
// a SQLite file that does not exist yet (the first user of a server not
// started yet), and says so.
func (u *userRun) open(create bool) error {
	db, newFile, err := openStore(u.ctx, u.cfg.DatabaseURL, create)
	if err != nil {
		return err
	}
	u.db = db
	if newFile != "" {
		fmt.Fprintf(u.stderr, "tessera user %s: created a new database at %s\n", u.cmd, newFile)
	}
	return nil
}

// openStore opens and migrates the database of dsn for an operator
// command, within 30 s. A SQLite file that does not exist yet is most
// likely a DATA_DIR other than the server's: unless create, that is a
// refusal; otherwise newFile is the path of the file it created.
func openStore(ctx context.Context, dsn string, create bool) (db *store.DB, newFile string, err error) {
	newFile = missingSQLite(dsn)
	if newFile != "" && !create {
		return nil, "", refusal(noDatabase(newFile))
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if db, err = store.Open(ctx, dsn); err != nil {
		return nil, "", err
	}
	return db, newFile, nil
}

// missingSQLite is the path of the SQLite file that dsn selects when that
// file does not exist, else "".
func missingSQLite(dsn string) string {
	if kind, path, err := store.ParseDSN(dsn); err == nil && kind == store.SQLite {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return path
		}
	}
	return ""
}

// noDatabase is the refusal of an operator command whose SQLite file is
// missing: most likely a DATA_DIR other than the server's.
func noDatabase(path string) string {
	return fmt.Sprintf("there is no database at %s: set DATA_DIR (or DATABASE_URL) as for the server", path)
}

// add creates a user, as POST /api/register does.
func (u *userRun) add(arg string) error {
	name := norm.NFC.String(arg)
	// The name is checked before the password is asked for.
	if e := shared.CheckUsername(name); e != nil {
		return refusal(e.Msg)
	}
	hasher, err := auth.NewHasher(u.cfg.BcryptCost)
	if err != nil {
		return err
	}
	if err := u.open(true); err != nil {
		return err
	}
	switch _, err := u.db.UserByName(u.ctx, name); {
	case err == nil:
		return refusal(shared.MsgUsernameTaken)
	case !errors.Is(err, backend.ErrNotFound):
		return err
	}
	password, err := u.readPassword(fmt.Sprintf("Password for %s: ", printable(name)))
	if err != nil {
		return err
	}
	if e := shared.CheckCredentials(name, password); e != nil {
		return refusal(e.Msg)
	}
	if err := checkEncoding(password); err != nil {
		return err
	}
	hash, err := hasher.Hash(password)
	if err != nil {
		return err
	}
	user, err := u.db.CreateUser(u.ctx, name, hash)
	if errors.Is(err, backend.ErrConflict) {
		return refusal(shared.MsgUsernameTaken)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(u.stdout, "created user %q (id %d)\n", user.Name, user.ID)
	return nil
}

// remove deletes a user; its sessions go with it.
func (u *userRun) remove(arg string) error {
	if err := u.open(false); err != nil {
		return err
	}
	user, err := u.lookUp(arg)
	if err != nil {
		return err
	}
	// Counted just before: the deletion takes every session, these included.
	sessions, err := u.db.ListSessions(u.ctx, user.ID)
	if err != nil {
		return err
	}
	if _, err := u.db.DeleteUser(u.ctx, user.Name); err != nil {
		if errors.Is(err, backend.ErrNotFound) {
			return unknownUser(arg)
		}
		return err
	}
	u.record(user.ID, backend.EventUserDeleted, map[string]any{"by": "operator", "name": user.Name})
	fmt.Fprintf(u.stdout, "deleted user %q (id %d, created %s) with its sessions (%s)\n",
		user.Name, user.ID, user.CreatedAt.UTC().Format(time.RFC3339), plural(len(sessions), "active session", "active sessions"))
	return nil
}

// listedUser is a line of `tessera user list --json`.
type listedUser struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

// list prints every user, by id.
func (u *userRun) list(string) error {
	if err := u.open(false); err != nil {
		return err
	}
	users, err := u.db.ListUsers(u.ctx)
	if err != nil {
		return err
	}
	if u.json {
		enc := json.NewEncoder(u.stdout)
		enc.SetEscapeHTML(false)
		for _, user := range users {
			if err := enc.Encode(listedUser{ID: user.ID, Name: user.Name, CreatedAt: user.CreatedAt.UTC().Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(u.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, user := range users {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", user.ID, printable(user.Name), user.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// setPassword replaces a user's password, as POST /api/password does, and
// ends every session of the user.
func (u *userRun) setPassword(arg string) error {
	hasher, err := auth.NewHasher(u.cfg.BcryptCost)
	if err != nil {
		return err
	}
	if err := u.open(false); err != nil {
		return err
	}
	user, err := u.lookUp(arg)
	if err != nil {
		return err
	}
	password, err := u.readPassword(fmt.Sprintf("New password for %s: ", printable(user.Name)))
	if err != nil {
		return err
	}
	if e := shared.CheckPassword(password); e != nil {
		return refusal(e.Msg)
	}
	if err := checkEncoding(password); err != nil {
		return err
	}
	hash, err := hasher.Hash(password)
	if err != nil {
		return err
	}
	ended, err := u.db.SetPassword(u.ctx, user.ID, backend.PasswordChange{Hash: hash, Reason: backend.ReasonOperator})
	if errors.Is(err, backend.ErrNotFound) {
		return unknownUser(arg) // deleted meanwhile
	}
	if err != nil {
		return err
	}
	u.record(user.ID, backend.EventPasswordChange, map[string]any{"by": "operator"})
	if ended > 0 {
		u.record(user.ID, backend.EventSessionEnded, map[string]any{"by": "operator", "sessions": ended})
	}
	fmt.Fprintf(u.stdout, "changed the password of %q (id %d); %s ended\n", user.Name, user.ID, plural(int(ended), "session", "sessions"))
	return nil
}

// record stores an event of the operator's about the user; a failure is
// only reported, as the change is made.
func (u *userRun) record(userID int64, kind string, detail map[string]any) {
	if err := u.db.AddEvent(u.ctx, &backend.Event{UserID: userID, Kind: kind, Detail: detail}); err != nil {
		fmt.Fprintf(u.stderr, "tessera user %s: the change is made, but recording it in the security events failed: %s\n", u.cmd, redactDSN(err.Error(), u.cfg.DatabaseURL))
	}
}

// lookUp finds the user named arg: its NFC form, the form names are stored
// in, or else arg as given (a name stored before it was normalized).
func (u *userRun) lookUp(arg string) (*backend.User, error) {
	return lookUpUser(u.ctx, u.db, arg)
}

// lookUpUser is userRun.lookUp on db.
func lookUpUser(ctx context.Context, db *store.DB, arg string) (*backend.User, error) {
	name := norm.NFC.String(arg)
	user, err := db.UserByName(ctx, name)
	if errors.Is(err, backend.ErrNotFound) && name != arg {
		user, err = db.UserByName(ctx, arg)
	}
	if errors.Is(err, backend.ErrNotFound) {
		return nil, unknownUser(arg)
	}
	return user, err
}

func unknownUser(name string) error {
	return refusal(fmt.Sprintf("no user is named %q", name))
}

// checkEncoding refuses a password that is not UTF-8: the API reads
// passwords from JSON strings, so such a password could never sign in.
func checkEncoding(password string) error {
	if !utf8.ValidString(password) {
		return refusal("password is not valid UTF-8")
	}
	return nil
}

// readPassword reads a password: from a prompt without echo, asked twice,
// when stdin is a terminal, else the first line of stdin.
func (u *userRun) readPassword(prompt string) (string, error) {
	if f, ok := u.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		first, err := u.promptPassword(fd, prompt)
		if err != nil {
			return "", err
		}
		if first == "" {
			return "", refusal("no password entered")
		}
		second, err := u.promptPassword(fd, "Repeat the password: ")
		if err != nil {
			return "", err
		}
		if first != second {
			return "", refusal("the passwords do not match")
		}
		return first, nil
	}
	return readPasswordLine(u.stdin)
}

// readPasswordLine returns the first line of r without its line break
// ("\n" or "\r\n"); an empty r is an empty password.
func readPasswordLine(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordLine)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	if s, ok := strings.CutSuffix(line, "\n"); ok {
		line = strings.TrimSuffix(s, "\r")
	}
	return line, nil
}

// promptPassword writes prompt to stderr and reads a line from the terminal
// fd without echo. Ctrl-C (or SIGTERM) restores the terminal's echo before
// the command ends, which a plain term.ReadPassword would leave off.
func (u *userRun) promptPassword(fd int, prompt string) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	fmt.Fprint(u.stderr, prompt)
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(u.stderr)
		if r.err == io.EOF {
			return "", refusal("no password entered")
		}
		if r.err != nil {
			return "", fmt.Errorf("read the password: %w", r.err)
		}
		return string(r.line), nil
	case <-signals:
	case <-u.ctx.Done():
	}
	// The reading goroutine stays blocked until the process exits.
	term.Restore(fd, state)
	fmt.Fprintln(u.stderr)
	return "", errInterrupted
}

// printable is name as is when every character of it prints, else quoted
// with escapes, so that no name can drive the operator's terminal.
func printable(name string) string {
	if utf8.ValidString(name) && strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return name
	}
	return strconv.Quote(name)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// redactDSN hides the password of the URL dsn wherever msg quotes the URL
// (a parse error does), whether or not dsn parses.
func redactDSN(msg, dsn string) string {
	_, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return msg
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return msg
	}
	userinfo := rest[:at]
	user, _, ok := strings.Cut(userinfo, ":")
	if !ok {
		return msg
	}
	return strings.ReplaceAll(msg, userinfo+"@", user+":xxxxx@")
}

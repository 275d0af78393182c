package api

import "time"

// Metrics counts what the API does, for monitoring (package metrics
// implements it with Prometheus). Its labels are bounded sets of words:
// never a name, a token or an address.
type Metrics interface {
	// Request counts an answer: its route (a pattern of the route table,
	// RouteApp or RouteUnmatched), status and time taken.
	Request(route string, status int, took time.Duration)
	// SignIn counts a POST /api/login by its SignIn* result.
	SignIn(result string)
	// Refresh counts a POST /api/refresh that carried a valid refresh
	// token, by its Refresh* result.
	Refresh(result string)
	// Throttled counts a request refused by the Limit* limit.
	Throttled(limit string)
}

// Results of a sign-in.
const (
	SignInOK        = "success"   // signed in
	SignInFailed    = "failed"    // wrong name or password, missing fields, a malformed body
	SignInThrottled = "throttled" // refused by a limit (429)
	SignInError     = "error"     // the server could not tell (500, 503)
)

// Results of a refresh.
const (
	RefreshRotated = "rotated"        // a new pair; the token presented is retired
	RefreshRenewed = "renewed"        // a new access token (REFRESH_ROTATION=off)
	RefreshGrace   = "grace"          // a just-retired token renewed its session once more
	RefreshReuse   = "reuse_detected" // a retired token again: its session ended
	RefreshStarted = "started"        // a Flask-JWT-Extended token exchanged for a session
	RefreshRefused = "refused"        // revoked meanwhile (a concurrent use, a sign-out)
	RefreshFailed  = "error"          // the server could not tell (500, 503)
)

// Limits that refuse requests (see Limits).
const (
	LimitLoginBackoff  = "login_backoff"
	LimitAccountBudget = "login_account_budget"
	LimitLoginRate     = "login_rate"
	LimitRegisterRate  = "register_rate"
	LimitPasswordRate  = "password_rate"
)

// SignInResults, RefreshResults and ThrottleLimits list every value of
// each label, so that a metrics backend can show each at zero from the
// start.
func SignInResults() []string {
	return []string{SignInOK, SignInFailed, SignInThrottled, SignInError}
}

func RefreshResults() []string {
	return []string{RefreshRotated, RefreshRenewed, RefreshGrace, RefreshReuse, RefreshStarted, RefreshRefused, RefreshFailed}
}

func ThrottleLimits() []string {
	return []string{LimitLoginBackoff, LimitAccountBudget, LimitLoginRate, LimitRegisterRate, LimitPasswordRate}
}

// metrics is the Metrics, or, without them, one that counts nothing.
func (s *Server) metrics() Metrics {
	if s.Metrics == nil {
		return noMetrics{}
	}
	return s.Metrics
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) Request(string, int, time.Duration) {}
func (noMetrics) SignIn(string)                      {}
func (noMetrics) Refresh(string)                     {}
func (noMetrics) Throttled(string)                   {}

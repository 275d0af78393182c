package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"tessera/shared"
)

// encodeJWT is an HS256/HS512 encoder written from RFC 7519, independent of
// the library the server uses, so the tests check the wire format itself.
func encodeJWT(t testing.TB, secret []byte, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	var mac hash.Hash
	switch header["alg"] {
	case "HS512":
		mac = hmac.New(sha512.New, secret)
	case "none":
		return input + "."
	default:
		mac = hmac.New(sha256.New, secret)
	}
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

var hs256 = map[string]any{"alg": "HS256", "typ": "JWT"}

// flaskClaims is the claim set Flask-JWT-Extended 4.4 puts in a token made
// by create_access_token / create_refresh_token.
func flaskClaims(sub, typ string, iat time.Time, ttl time.Duration) map[string]any {
	return map[string]any{
		"fresh": false,
		"iat":   iat.Unix(),
		"jti":   uuid.NewString(),
		"type":  typ,
		"sub":   sub,
		"nbf":   iat.Unix(),
		"exp":   iat.Add(ttl).Unix(),
	}
}

// decodeJWT splits a token without verifying it.
func decodeJWT(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", tok, len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func without(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func with(m map[string]any, key string, v any) map[string]any {
	out := without(m, key)
	out[key] = v
	return out
}

// TestTokenErrors walks every row of the contract's token-error table, in
// the contract's order of checks.
func TestTokenErrors(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		pair := e.login("apple", "mango")
		now := e.clock.Now()
		access := flaskClaims("apple", "access", now, 15*time.Minute)
		good := encodeJWT(t, testSecret, hs256, access)
		revoked := e.login("apple", "mango")
		// Logout ends the session: both of its tokens are revoked.
		if w := e.do(req{method: "DELETE", path: "/api/logout", header: bearer(revoked.AccessToken)}); w.Code != 200 {
			t.Fatalf("logout: %d %s", w.Code, w.Body)
		}
		// Odd exp, nbf and iat claims (TestFlaskJWTExtendedTimeClaims checks
		// the same against Flask-JWT-Extended itself).
		raw := func(s string) json.RawMessage { return json.RawMessage(s) }
		at := func(d int64) json.RawMessage { return raw(strconv.FormatInt(now.Unix()+d, 10)) }
		atHalf := func(d int64) json.RawMessage { return raw(strconv.FormatInt(now.Unix()+d, 10) + ".5") }
		digits := func(d int64) string { return strconv.FormatInt(now.Unix()+d, 10) }
		signed := func(claims map[string]any) string { return "Bearer " + encodeJWT(t, testSecret, hs256, claims) }
		odd := func(kv ...any) string {
			c := access
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == nil {
					c = without(c, kv[i].(string))
				} else {
					c = with(c, kv[i].(string), kv[i+1])
				}
			}
			return signed(c)
		}
		const (
			expType = "Expiration Time claim (exp) must be an integer."
			iatType = "Issued At claim (iat) must be an integer."
			nbfType = "Not Before claim (nbf) must be an integer."
			iatSoon = "The token is not yet valid (iat)"
			nbfSoon = "The token is not yet valid (nbf)"
		)
		const missingBoth = "Missing JWT in headers or query_string (Missing Authorization Header; Missing 'jwt' query paramater)"
		const missingBearer = "Missing JWT in headers or query_string (Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'; Missing 'jwt' query paramater)"
		const badHeader = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"
		tests := []struct {
			name   string
			path   string
			auth   string
			status int
			msg    string
			code   string
		}{
			{"ErrNoToken", "/api/user-data", "", 401, missingBoth, shared.CodeMissingToken},
			{"ErrEmptyQuery", "/api/user-data?jwt=", "", 401, missingBoth, shared.CodeMissingToken},
			{"ErrBasic", "/api/user-data", "Basic eDp5", 401, missingBearer, shared.CodeMissingToken},
			{"ErrLowercaseBearer", "/api/user-data", "bearer " + pair.AccessToken, 401, missingBearer, shared.CodeMissingToken},
			{"ErrBearerAlone", "/api/user-data", "Bearer", 422, badHeader, shared.CodeBadAuthHeader},
			{"ErrBearerTwoWords", "/api/user-data", "Bearer a b", 422, badHeader, shared.CodeBadAuthHeader},
			{"ErrNotEnoughSegments", "/api/user-data", "Bearer abc.def", 422, "Not enough segments", shared.CodeMalformedToken},
			{"ErrTooManySegments", "/api/user-data", "Bearer a.b.c.d", 422, "Invalid header padding", shared.CodeMalformedToken},
			{"ErrGarbageSegments", "/api/user-data", "Bearer !!.!!.!!", 422, "Invalid header string: Expecting value: line 1 column 1 (char 0)", shared.CodeMalformedToken},
			{"ErrOtherKey", "/api/user-data", "Bearer " + encodeJWT(t, []byte("another-secret-another-secret-0123"), hs256, access), 422, "Signature verification failed", shared.CodeBadSignature},
			{"ErrTamperedPayload", "/api/user-data", "Bearer " + tamper(t, good), 422, "Signature verification failed", shared.CodeBadSignature},
			{"ErrAlgNone", "/api/user-data", "Bearer " + encodeJWT(t, nil, map[string]any{"alg": "none", "typ": "JWT"}, access), 422, "The specified alg value is not allowed", shared.CodeAlgNotAllowed},
			{"ErrAlgNoneBadSignatureSegment", "/api/user-data", "Bearer " + encodeJWT(t, nil, map[string]any{"alg": "none", "typ": "JWT"}, access) + "!!", 422, "The specified alg value is not allowed", shared.CodeAlgNotAllowed},
			{"ErrNoAlg", "/api/user-data", "Bearer " + encodeJWT(t, testSecret, map[string]any{"typ": "JWT"}, access), 422, "The specified alg value is not allowed", shared.CodeAlgNotAllowed},
			{"ErrAlgHS512", "/api/user-data", "Bearer " + encodeJWT(t, testSecret, map[string]any{"alg": "HS512", "typ": "JWT"}, access), 422, "The specified alg value is not allowed", shared.CodeAlgNotAllowed},
			{"ErrExpired", "/api/user-data", "Bearer " + encodeJWT(t, testSecret, hs256, flaskClaims("apple", "access", now.Add(-time.Hour), 15*time.Minute)), 401, "Token has expired", shared.CodeTokenExpired},
			{"ErrNotYetValid", "/api/user-data", "Bearer " + encodeJWT(t, testSecret, hs256, with(access, "nbf", now.Add(time.Hour).Unix())), 422, "The token is not yet valid (nbf)", shared.CodeTokenNotYetValid},
			{"ErrNoSub", "/api/user-data", "Bearer " + encodeJWT(t, testSecret, hs256, without(access, "sub")), 422, "Missing claim: sub", shared.CodeMissingClaim},
			{"ErrNoExp", "/api/user-data", "Bearer " + encodeJWT(t, testSecret, hs256, without(access, "exp")), 422, "Missing claim: exp", shared.CodeMissingClaim},
			{"ErrExpDigitString", "/api/user-data", odd("exp", digits(900)), 422, expType, shared.CodeMalformedToken},
			{"ErrExpDigitStringPast", "/api/user-data", odd("exp", digits(-60)), 422, expType, shared.CodeMalformedToken},
			{"ErrExpFloatString", "/api/user-data", odd("exp", digits(900)+".5"), 422, expType, shared.CodeMalformedToken},
			{"ErrExpWordString", "/api/user-data", odd("exp", "soon"), 422, expType, shared.CodeMalformedToken},
			{"ErrExpEmptyString", "/api/user-data", odd("exp", ""), 422, expType, shared.CodeMalformedToken},
			{"ErrExpTrue", "/api/user-data", odd("exp", true), 422, expType, shared.CodeMalformedToken},
			{"ErrExpFalse", "/api/user-data", odd("exp", false), 422, expType, shared.CodeMalformedToken},
			{"ErrExpObject", "/api/user-data", odd("exp", map[string]any{"t": 1}), 422, expType, shared.CodeMalformedToken},
			{"ErrExpArray", "/api/user-data", odd("exp", []any{now.Unix() + 900}), 422, expType, shared.CodeMalformedToken},
			{"ErrExpInfinite", "/api/user-data", odd("exp", raw("1e400")), 422, expType, shared.CodeMalformedToken},
			{"ErrExpNull", "/api/user-data", odd("exp", raw("null")), 422, "Missing claim: exp", shared.CodeMissingClaim},
			{"ErrExpAtNow", "/api/user-data", odd("exp", at(0)), 401, "Token has expired", shared.CodeTokenExpired},
			{"ErrExpFractionCutToNow", "/api/user-data", odd("exp", atHalf(0)), 401, "Token has expired", shared.CodeTokenExpired},
			{"ErrExpNegative", "/api/user-data", odd("exp", -5), 401, "Token has expired", shared.CodeTokenExpired},
			{"ErrIatDigitString", "/api/user-data", odd("iat", digits(0)), 422, iatType, shared.CodeMalformedToken},
			{"ErrIatWordString", "/api/user-data", odd("iat", "now"), 422, iatType, shared.CodeMalformedToken},
			{"ErrIatNull", "/api/user-data", odd("iat", raw("null")), 422, iatType, shared.CodeMalformedToken},
			{"ErrIatTrue", "/api/user-data", odd("iat", true), 422, iatType, shared.CodeMalformedToken},
			{"ErrIatObject", "/api/user-data", odd("iat", map[string]any{}), 422, iatType, shared.CodeMalformedToken},
			{"ErrIatInfinite", "/api/user-data", odd("iat", raw("-1e400")), 422, iatType, shared.CodeMalformedToken},
			{"ErrIatFuture", "/api/user-data", odd("iat", at(1)), 422, iatSoon, shared.CodeTokenNotYetValid},
			{"ErrIatFutureFraction", "/api/user-data", odd("iat", atHalf(0)), 422, iatSoon, shared.CodeTokenNotYetValid},
			{"ErrIatHuge", "/api/user-data", odd("iat", raw("99999999999999999999999")), 422, iatSoon, shared.CodeTokenNotYetValid},
			{"ErrIatFutureOnRefresh", "/api/refresh", "Bearer " + encodeJWT(t, testSecret, hs256, with(flaskClaims("apple", "refresh", now, time.Hour), "iat", at(60))), 422, iatSoon, shared.CodeTokenNotYetValid},
			{"ErrNbfDigitString", "/api/user-data", odd("nbf", digits(0)), 422, nbfType, shared.CodeMalformedToken},
			{"ErrNbfWordString", "/api/user-data", odd("nbf", "now"), 422, nbfType, shared.CodeMalformedToken},
			{"ErrNbfNull", "/api/user-data", odd("nbf", raw("null")), 422, nbfType, shared.CodeMalformedToken},
			{"ErrNbfFalse", "/api/user-data", odd("nbf", false), 422, nbfType, shared.CodeMalformedToken},
			{"ErrNbfArray", "/api/user-data", odd("nbf", []any{}), 422, nbfType, shared.CodeMalformedToken},
			{"ErrNbfInfinite", "/api/user-data", odd("nbf", raw("1e999")), 422, nbfType, shared.CodeMalformedToken},
			{"ErrNbfHuge", "/api/user-data", odd("nbf", raw("1e19")), 422, nbfSoon, shared.CodeTokenNotYetValid},
			// PyJWT 2.6's order after the signature: exp's presence (Tessera
			// requires it), iat, nbf, exp; then Flask-JWT-Extended's sub,
			// before an expired exp.
			{"ErrOrderExpMissingBeforeIat", "/api/user-data", odd("exp", nil, "iat", "x"), 422, "Missing claim: exp", shared.CodeMissingClaim},
			{"ErrOrderIatBeforeNbf", "/api/user-data", odd("iat", at(60), "nbf", at(60)), 422, iatSoon, shared.CodeTokenNotYetValid},
			{"ErrOrderIatTypeBeforeNbfType", "/api/user-data", odd("iat", raw("null"), "nbf", raw("null")), 422, iatType, shared.CodeMalformedToken},
			{"ErrOrderIatBeforeExp", "/api/user-data", odd("iat", at(60), "exp", at(-60)), 422, iatSoon, shared.CodeTokenNotYetValid},
			{"ErrOrderIatTypeBeforeExpired", "/api/user-data", odd("iat", "x", "exp", at(-60)), 422, iatType, shared.CodeMalformedToken},
			{"ErrOrderNbfBeforeExp", "/api/user-data", odd("nbf", at(60), "exp", at(-60)), 422, nbfSoon, shared.CodeTokenNotYetValid},
			{"ErrOrderNbfTypeBeforeExpType", "/api/user-data", odd("nbf", "x", "exp", "x"), 422, nbfType, shared.CodeMalformedToken},
			{"ErrOrderIatFutureBeforeExpType", "/api/user-data", odd("iat", at(60), "exp", true), 422, iatSoon, shared.CodeTokenNotYetValid},
			{"ErrOrderNbfBeforeSub", "/api/user-data", odd("sub", nil, "nbf", at(60)), 422, nbfSoon, shared.CodeTokenNotYetValid},
			{"ErrOrderSubBeforeExpired", "/api/user-data", odd("sub", nil, "exp", at(-60)), 422, "Missing claim: sub", shared.CodeMissingClaim},
			{"ErrOrderExpiredBeforeJTI", "/api/user-data", odd("jti", nil, "exp", at(-60)), 401, "Token has expired", shared.CodeTokenExpired},
			{"ErrOrderSignatureBeforeTimes", "/api/user-data", "Bearer " + encodeJWT(t, []byte("another-secret-another-secret-0123"), hs256, with(with(access, "exp", "x"), "iat", at(60))), 422, "Signature verification failed", shared.CodeBadSignature},
			{"ErrRefreshAsAccess", "/api/user-data", "Bearer " + pair.RefreshToken, 422, "Only non-refresh tokens are allowed", shared.CodeAccessTokenNeeded},
			{"ErrAccessAsRefresh", "/api/refresh", "Bearer " + pair.AccessToken, 422, "Only refresh tokens are allowed", shared.CodeRefreshTokenNeeded},
			{"ErrRevoked", "/api/user-data", "Bearer " + revoked.AccessToken, 401, "Token has been revoked", shared.CodeTokenRevoked},
			{"ErrUserGone", "/api/user-data", "Bearer " + encodeJWT(t, testSecret, hs256, flaskClaims("ghost", "access", now, time.Minute)), 401, "Error loading the user ghost", shared.CodeUserNotFound},
			{"ErrBrokenHeaderGoodQuery", "/api/user-data?jwt=" + good, "Bearer abc", 422, "Not enough segments", shared.CodeMalformedToken},
			{"ErrTypeCheckedBeforeRevoked", "/api/user-data", "Bearer " + revoked.RefreshToken, 422, "Only non-refresh tokens are allowed", shared.CodeAccessTokenNeeded},
			{"ErrRevokedRefresh", "/api/refresh", "Bearer " + revoked.RefreshToken, 401, "Token has been revoked", shared.CodeTokenRevoked},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				method := "GET"
				if tt.path == "/api/refresh" {
					method = "POST"
				}
				w := e.do(req{method: method, path: tt.path, header: map[string]string{"Authorization": tt.auth}})
				checkMsg(t, w, tt.status, tt.msg, tt.code)
			})
		}

		t.Run("OKHeaderWithoutBearerFallsToQuery", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/user-data?jwt=" + good, header: map[string]string{"Authorization": "Basic eDp5"}})
			checkJSON(t, w, 200, `{"user":"apple"}`)
		})
		t.Run("OKBearerAmongOtherFields", func(t *testing.T) {
			w := e.do(req{method: "GET", path: "/api/user-data", header: map[string]string{"Authorization": "Basic eDp5, Bearer " + good}})
			checkJSON(t, w, 200, `{"user":"apple"}`)
		})
		t.Run("ErrTwoAuthorizationLines", func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/user-data", nil)
			r.Header.Add("Authorization", "Bearer "+good)
			r.Header.Add("Authorization", "Bearer "+good)
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			checkMsg(t, w, 422, badHeader, shared.CodeBadAuthHeader)
		})
		t.Run("ErrAfterExpiryWithClock", func(t *testing.T) {
			fresh := e.login("apple", "mango")
			if w := e.do(req{method: "GET", path: "/api/user-data", header: bearer(fresh.AccessToken)}); w.Code != 200 {
				t.Fatalf("before expiry: %d %s", w.Code, w.Body)
			}
			e.clock.Advance(15*time.Minute + time.Second)
			checkMsg(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(fresh.AccessToken)}), 401, "Token has expired", shared.CodeTokenExpired)
			// The refresh token lives on: it renews the session.
			w := e.do(req{method: "POST", path: "/api/refresh", header: bearer(fresh.RefreshToken)})
			if w.Code != 200 {
				t.Fatalf("refresh after access expiry: %d %s", w.Code, w.Body)
			}
			e.clock.Advance(24 * time.Hour)
			checkMsg(t, e.do(req{method: "POST", path: "/api/refresh", header: bearer(fresh.RefreshToken)}), 401, "Token has expired", shared.CodeTokenExpired)
		})
		t.Run("OKTimeClaimsAsPyJWT", func(t *testing.T) {
			// PyJWT takes any JSON number: iat compared as it is, nbf and
			// exp cut to an integer. Issued well after the account (Tessera
			// revokes a token without session issued before its account).
			e.clock.Advance(time.Hour)
			now := e.clock.Now().Unix()
			num := func(v string) json.RawMessage { return json.RawMessage(v) }
			at := func(d int64) string { return strconv.FormatInt(now+d, 10) }
			for name, set := range map[string]map[string]any{
				"Floats":             {"iat": num(at(-2) + ".5"), "nbf": num(at(-2) + ".5"), "exp": num(at(900) + ".5")},
				"Exponents":          {"iat": num(strconv.FormatFloat(float64(now-60), 'e', -1, 64)), "exp": num(strconv.FormatFloat(float64(now+900), 'E', -1, 64))},
				"NbfFractionCutDown": {"nbf": num(at(0) + ".5")},
				"ExpOneSecondLeft":   {"exp": num(at(1))},
				"NegativeNbf":        {"nbf": num("-5.5")},
				"NoNbf":              {"nbf": nil},
				"HugeExp":            {"exp": num("99999999999999999999999")},
				"FloatExpBeyondInt":  {"exp": num("1e300")},
			} {
				t.Run(name, func(t *testing.T) {
					c := flaskClaims("apple", "access", e.clock.Now(), 15*time.Minute) // a jti of its own
					for k, v := range set {
						if v == nil {
							c = without(c, k)
						} else {
							c = with(c, k, v)
						}
					}
					tok := encodeJWT(t, testSecret, hs256, c)
					checkJSON(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(tok)}), 200, `{"user":"apple"}`)
					// Revoking it stores its exp (capped at year 9999).
					checkJSON(t, e.do(req{method: "DELETE", path: "/api/logout", header: bearer(tok)}), 200, `{"msg":"Access token successfully revoked"}`)
					checkMsg(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(tok)}), 401, "Token has been revoked", shared.CodeTokenRevoked)
				})
			}
		})
	})
}

// tamper changes the payload's subject without re-signing.
func tamper(t testing.TB, tok string) string {
	parts := strings.Split(tok, ".")
	_, claims := decodeJWT(t, tok)
	claims["sub"] = "admin"
	b, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

// TestFlaskTokens checks the crossing in both directions: a token built as
// Flask-JWT-Extended builds it is accepted, and Tessera's tokens carry
// exactly Flask-JWT-Extended's header and claim set.
func TestFlaskTokens(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, e *env) {
		e.register("apple", "mango")
		now := e.clock.Now()
		t.Run("OKFlaskAccessToken", func(t *testing.T) {
			tok := encodeJWT(t, testSecret, hs256, flaskClaims("apple", "access", now, 15*time.Minute))
			checkJSON(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(tok)}), 200, `{"user":"apple"}`)
		})
		t.Run("OKFlaskRefreshToken", func(t *testing.T) {
			tok := encodeJWT(t, testSecret, hs256, flaskClaims("apple", "refresh", now, 24*time.Hour))
			w := e.do(req{method: "POST", path: "/api/refresh", header: bearer(tok)})
			checkJSON(t, w, 200, "")
		})
		t.Run("OKFlaskTokenWithoutTypeIsAccess", func(t *testing.T) {
			tok := encodeJWT(t, testSecret, hs256, without(flaskClaims("apple", "access", now, time.Minute), "type"))
			checkJSON(t, e.do(req{method: "GET", path: "/api/user-data", header: bearer(tok)}), 200, `{"user":"apple"}`)
		})
		t.Run("OKOurClaimSet", func(t *testing.T) {
			pair := e.login("apple", "mango")
			for typ, tok := range map[string]string{"access": pair.AccessToken, "refresh": pair.RefreshToken} {
				header, claims := decodeJWT(t, tok)
				if got, want := header, map[string]any{"alg": "HS256", "typ": "JWT"}; !reflect.DeepEqual(got, want) {
					t.Fatalf("%s header = %v, want %v", typ, got, want)
				}
				var keys []string
				for k := range claims {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				// Flask-JWT-Extended's claim set, plus the session id, a claim
				// it ignores.
				if got, want := strings.Join(keys, ","), "exp,fresh,iat,jti,nbf,sid,sub,type"; got != want {
					t.Fatalf("%s claims = %s, want %s", typ, got, want)
				}
				if _, err := uuid.Parse(claims["sid"].(string)); err != nil {
					t.Fatalf("%s sid %v is not a UUID: %v", typ, claims["sid"], err)
				}
				ttl := map[string]int64{"access": 900, "refresh": 86400}[typ]
				iat, _ := claims["iat"].(json.Number).Int64()
				nbf, _ := claims["nbf"].(json.Number).Int64()
				exp, _ := claims["exp"].(json.Number).Int64()
				if iat != now.Unix() || nbf != iat || exp != iat+ttl {
					t.Fatalf("%s iat/nbf/exp = %d/%d/%d, want %d/%d/%d", typ, iat, nbf, exp, now.Unix(), now.Unix(), now.Unix()+ttl)
				}
				if claims["fresh"] != false || claims["type"] != typ || claims["sub"] != "apple" {
					t.Fatalf("%s claims = %v", typ, claims)
				}
				if _, err := uuid.Parse(claims["jti"].(string)); err != nil {
					t.Fatalf("%s jti %v is not a UUID: %v", typ, claims["jti"], err)
				}
				// The token verifies with the independent encoder's signature.
				parts := strings.Split(tok, ".")
				mac := hmac.New(sha256.New, testSecret)
				mac.Write([]byte(parts[0] + "." + parts[1]))
				if got, want := parts[2], base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); got != want {
					t.Fatalf("%s signature = %s, want %s", typ, got, want)
				}
			}
		})
	})
}

package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"

	"tessera/backend"
	"tessera/shared"
)

// pyCheck goes through a token as Flask-JWT-Extended 4.4 does with PyJWT
// 2.6 before it reads the claims, and returns the first refusal, with its
// message, or nil when the token would reach the claims:
//
//  1. the unverified decode: the segments (PyJWT splits at the last "."
//     and then at the first, so a payload may hold dots), the header's
//     base64 and JSON (an object), the payload's and the signature's
//     base64, a header "b64": false, the payload's JSON (an object);
//  2. the unverified header: a "kid" that is not a string;
//  3. the verified decode: "alg" must be HS256, then the signature.
func (t *Tokens) pyCheck(token string) error {
	malformed := func(msg string) error { return backend.Errorf(shared.CodeMalformedToken, "%s", msg) }
	signingInput, crypto, ok := cutLast(token, ".")
	if !ok {
		return malformed("Not enough segments")
	}
	headSeg, payloadSeg, ok := strings.Cut(signingInput, ".")
	if !ok {
		return malformed("Not enough segments")
	}
	headBytes, ok := pyB64Decode(headSeg)
	if !ok {
		return malformed("Invalid header padding")
	}
	v, err := pyJSONLoads(headBytes)
	if err != nil {
		return malformed("Invalid header string: " + err.Error())
	}
	header, ok := v.(map[string]pyValue)
	if !ok {
		return malformed("Invalid header string: must be a json object")
	}
	payload, ok := pyB64Decode(payloadSeg)
	if !ok {
		return malformed("Invalid payload padding")
	}
	sig, ok := pyB64Decode(crypto)
	if !ok {
		return malformed("Invalid crypto padding")
	}
	if b64, ok := header["b64"].(bool); ok && !b64 {
		return malformed(`It is required that you pass in a value for the "detached_payload" argument to decode a message having the b64 header set to false.`)
	}
	if v, err = pyJSONLoads(payload); err != nil {
		return malformed("Invalid payload string: " + err.Error())
	}
	if _, ok := v.(map[string]pyValue); !ok {
		return malformed("Invalid payload string: must be a json object")
	}
	if kid, ok := header["kid"]; ok {
		if _, isString := kid.(string); !isString {
			return malformed("Key ID header parameter must be a string")
		}
	}
	if alg, _ := header["alg"].(string); alg != "HS256" {
		return backend.Errorf(shared.CodeAlgNotAllowed, "The specified alg value is not allowed")
	}
	mac := hmac.New(sha256.New, t.secret)
	mac.Write([]byte(signingInput))
	if !hmac.Equal(mac.Sum(nil), sig) {
		return backend.Errorf(shared.CodeBadSignature, "Signature verification failed")
	}
	return nil
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

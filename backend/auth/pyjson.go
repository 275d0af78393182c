package auth

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// This file reads token segments as PyJWT 2.6 does on CPython, for one
// purpose: to refuse a malformed token with the very message
// Flask-JWT-Extended gives (the message of the exception that PyJWT's
// base64 or json.loads raised). Only the refusal path uses it.

// pyB64Decode is PyJWT's base64url_decode: padded with "=" to a multiple
// of four bytes, then decoded as CPython's binascii.a2b_base64 does when
// not strict: bytes outside the alphabet are skipped (both "-_" and "+/"
// are in it), decoding stops at a complete pad, and a leftover of one
// data character or a missing pad is an error.
func pyB64Decode(seg string) ([]byte, bool) {
	in := []byte(seg)
	if rem := len(in) % 4; rem > 0 {
		in = append(in, strings.Repeat("=", 4-rem)...)
	}
	out := make([]byte, 0, len(in)*3/4)
	var quad, pads int
	var left byte
	for _, c := range in {
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					return out, true
				}
			}
			continue
		}
		v, ok := b64Value(c)
		if !ok {
			continue
		}
		pads = 0
		switch quad {
		case 0:
			quad, left = 1, v
		case 1:
			quad = 2
			out = append(out, left<<2|v>>4)
			left = v & 0x0f
		case 2:
			quad = 3
			out = append(out, left<<4|v>>2)
			left = v & 0x03
		case 3:
			quad = 0
			out = append(out, left<<6|v)
			left = 0
		}
	}
	return out, quad == 0
}

// b64Value is c's value in urlsafe_b64decode's alphabet, which takes both
// the URL-safe and the standard characters.
func b64Value(c byte) (byte, bool) {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A', true
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26, true
	case c >= '0' && c <= '9':
		return c - '0' + 52, true
	case c == '+' || c == '-':
		return 62, true
	case c == '/' || c == '_':
		return 63, true
	}
	return 0, false
}

// pyError is a message as Python's str() of the exception gives it.
type pyError string

func (e pyError) Error() string { return string(e) }

// pyDecodeBytes is how json.loads turns bytes into text: the encoding
// json.detect_encoding finds, with the "surrogatepass" error handler. It
// returns the text as code points.
func pyDecodeBytes(b []byte) ([]rune, error) {
	switch {
	case hasPrefix(b, 0, 0, 0xfe, 0xff):
		return pyDecodeUTF32(b[4:], binary.BigEndian, "utf-32")
	case hasPrefix(b, 0xff, 0xfe, 0, 0):
		return pyDecodeUTF32(b[4:], binary.LittleEndian, "utf-32")
	case hasPrefix(b, 0xfe, 0xff):
		return pyDecodeUTF16(b[2:], binary.BigEndian, "utf-16")
	case hasPrefix(b, 0xff, 0xfe):
		return pyDecodeUTF16(b[2:], binary.LittleEndian, "utf-16")
	case hasPrefix(b, 0xef, 0xbb, 0xbf):
		return pyDecodeUTF8(b[3:])
	case len(b) >= 4 && b[0] == 0 && b[1] != 0:
		return pyDecodeUTF16(b, binary.BigEndian, "utf-16-be")
	case len(b) >= 4 && b[0] == 0:
		return pyDecodeUTF32(b, binary.BigEndian, "utf-32-be")
	case len(b) >= 4 && b[1] == 0 && (b[2] != 0 || b[3] != 0):
		return pyDecodeUTF16(b, binary.LittleEndian, "utf-16-le")
	case len(b) >= 4 && b[1] == 0:
		return pyDecodeUTF32(b, binary.LittleEndian, "utf-32-le")
	case len(b) == 2 && b[0] == 0:
		return pyDecodeUTF16(b, binary.BigEndian, "utf-16-be")
	case len(b) == 2 && b[1] == 0:
		return pyDecodeUTF16(b, binary.LittleEndian, "utf-16-le")
	}
	return pyDecodeUTF8(b)
}

func hasPrefix(b []byte, p ...byte) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == string(p)
}

// decodeError is str() of a UnicodeDecodeError of encoding over b[start:end].
func decodeError(encoding string, b []byte, start, end int, reason string) error {
	if end == start+1 {
		return pyError(fmt.Sprintf("'%s' codec can't decode byte 0x%02x in position %d: %s", encoding, b[start], start, reason))
	}
	return pyError(fmt.Sprintf("'%s' codec can't decode bytes in position %d-%d: %s", encoding, start, end-1, reason))
}

func isCont(c byte) bool { return c >= 0x80 && c <= 0xbf }

// pyDecodeUTF8 is CPython's UTF-8 decoder with "surrogatepass": encoded
// surrogates (ED A0 80 to ED BF BF) are let through as code points.
func pyDecodeUTF8(b []byte) ([]rune, error) {
	out := make([]rune, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		n := len(b) - i
		switch {
		case c < 0x80:
			out = append(out, rune(c))
			i++
			continue
		case c < 0xc2 || c > 0xf4:
			return nil, decodeError("utf-8", b, i, i+1, "invalid start byte")
		case c < 0xe0:
			if n < 2 {
				return nil, decodeError("utf-8", b, i, len(b), "unexpected end of data")
			}
			if !isCont(b[i+1]) {
				return nil, decodeError("utf-8", b, i, i+1, "invalid continuation byte")
			}
			out = append(out, rune(c&0x1f)<<6|rune(b[i+1]&0x3f))
			i += 2
			continue
		case c < 0xf0:
			bad2 := func(c2 byte) bool {
				return !isCont(c2) || c == 0xe0 && c2 < 0xa0 || c == 0xed && c2 >= 0xa0
			}
			if n >= 3 && c == 0xed && b[i+1] >= 0xa0 && isCont(b[i+1]) && isCont(b[i+2]) {
				// A surrogate: surrogatepass lets it through.
				out = append(out, rune(c&0x0f)<<12|rune(b[i+1]&0x3f)<<6|rune(b[i+2]&0x3f))
				i += 3
				continue
			}
			if n < 3 {
				if n >= 2 && bad2(b[i+1]) {
					return nil, decodeError("utf-8", b, i, i+1, "invalid continuation byte")
				}
				return nil, decodeError("utf-8", b, i, len(b), "unexpected end of data")
			}
			if bad2(b[i+1]) {
				return nil, decodeError("utf-8", b, i, i+1, "invalid continuation byte")
			}
			if !isCont(b[i+2]) {
				return nil, decodeError("utf-8", b, i, i+2, "invalid continuation byte")
			}
			out = append(out, rune(c&0x0f)<<12|rune(b[i+1]&0x3f)<<6|rune(b[i+2]&0x3f))
			i += 3
			continue
		}
		bad2 := func(c2 byte) bool {
			return !isCont(c2) || c == 0xf0 && c2 < 0x90 || c == 0xf4 && c2 >= 0x90
		}
		if n < 4 {
			switch {
			case n >= 2 && bad2(b[i+1]):
				return nil, decodeError("utf-8", b, i, i+1, "invalid continuation byte")
			case n >= 3 && !isCont(b[i+2]):
				return nil, decodeError("utf-8", b, i, i+2, "invalid continuation byte")
			}
			return nil, decodeError("utf-8", b, i, len(b), "unexpected end of data")
		}
		switch {
		case bad2(b[i+1]):
			return nil, decodeError("utf-8", b, i, i+1, "invalid continuation byte")
		case !isCont(b[i+2]):
			return nil, decodeError("utf-8", b, i, i+2, "invalid continuation byte")
		case !isCont(b[i+3]):
			return nil, decodeError("utf-8", b, i, i+3, "invalid continuation byte")
		}
		out = append(out, rune(c&0x07)<<18|rune(b[i+1]&0x3f)<<12|rune(b[i+2]&0x3f)<<6|rune(b[i+3]&0x3f))
		i += 4
	}
	return out, nil
}

// pyDecodeUTF16 is CPython's UTF-16 decoder with "surrogatepass": pairs
// are joined, lone surrogates let through; an odd byte at the end is
// "truncated data".
func pyDecodeUTF16(b []byte, order binary.ByteOrder, encoding string) ([]rune, error) {
	out := make([]rune, 0, len(b)/2)
	for i := 0; i < len(b); i += 2 {
		if len(b)-i < 2 {
			return nil, decodeError(encoding, b, i, len(b), "truncated data")
		}
		u := rune(order.Uint16(b[i:]))
		if utf16.IsSurrogate(u) && u < 0xdc00 && len(b)-i >= 4 {
			if u2 := rune(order.Uint16(b[i+2:])); u2 >= 0xdc00 && u2 <= 0xdfff {
				out = append(out, utf16.DecodeRune(u, u2))
				i += 2
				continue
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// pyDecodeUTF32 is CPython's UTF-32 decoder with "surrogatepass".
func pyDecodeUTF32(b []byte, order binary.ByteOrder, encoding string) ([]rune, error) {
	out := make([]rune, 0, len(b)/4)
	for i := 0; i < len(b); i += 4 {
		if len(b)-i < 4 {
			return nil, decodeError(encoding, b, i, len(b), "truncated data")
		}
		u := order.Uint32(b[i:])
		if u > 0x10ffff {
			return nil, decodeError(encoding, b, i, i+4, "code point not in range(0x110000)")
		}
		out = append(out, rune(u))
	}
	return out, nil
}

// pyValue is what the reader keeps of a JSON value: objects, strings and
// booleans (what a token's header is checked for); other values only as
// being there.
type pyValue = any

type pyNull struct{}

type pyOther struct{} // a number, NaN, Infinity or an array

// pyJSON reads text as CPython's json.loads does (its C scanner) and
// gives JSONDecodeError's message for what it refuses.
type pyJSON struct {
	s []rune
}

func (p *pyJSON) fail(msg string, pos int) error {
	line, col := 1, pos+1
	for i := 0; i < pos && i < len(p.s); i++ {
		if p.s[i] == '\n' {
			line, col = line+1, pos-i
		}
	}
	return pyError(fmt.Sprintf("%s: line %d column %d (char %d)", msg, line, col, pos))
}

func isPyWhite(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *pyJSON) skip(i int) int {
	for i < len(p.s) && isPyWhite(p.s[i]) {
		i++
	}
	return i
}

// pyJSONLoads is json.loads(b) for bytes b.
func pyJSONLoads(b []byte) (pyValue, error) {
	text, err := pyDecodeBytes(b)
	if err != nil {
		return nil, err
	}
	p := &pyJSON{s: text}
	v, end, err := p.value(p.skip(0))
	if err != nil {
		return nil, err
	}
	if end = p.skip(end); end != len(p.s) {
		return nil, p.fail("Extra data", end)
	}
	return v, nil
}

// errExpecting stands for StopIteration(idx): "Expecting value" at idx,
// whatever the nesting.
type errExpecting int

func (e errExpecting) Error() string { return "expecting value" }

// value is scan_once at i: the value and the index after it.
func (p *pyJSON) value(i int) (pyValue, int, error) {
	v, end, err := p.scan(i)
	if e, ok := err.(errExpecting); ok {
		return nil, 0, p.fail("Expecting value", int(e))
	}
	return v, end, err
}

func (p *pyJSON) word(i int, w string) bool {
	return i+len(w) <= len(p.s) && string(p.s[i:i+len(w)]) == w
}

func (p *pyJSON) scan(i int) (pyValue, int, error) {
	if i >= len(p.s) {
		return nil, 0, errExpecting(i)
	}
	switch c := p.s[i]; {
	case c == '"':
		return p.str(i + 1)
	case c == '{':
		return p.object(i + 1)
	case c == '[':
		return p.array(i + 1)
	case c == 'n' && p.word(i, "null"):
		return pyNull{}, i + 4, nil
	case c == 't' && p.word(i, "true"):
		return true, i + 4, nil
	case c == 'f' && p.word(i, "false"):
		return false, i + 5, nil
	case c == 'N' && p.word(i, "NaN"):
		return pyOther{}, i + 3, nil
	case c == 'I' && p.word(i, "Infinity"):
		return pyOther{}, i + 8, nil
	case c == '-' && p.word(i, "-Infinity"):
		return pyOther{}, i + 9, nil
	}
	return p.number(i)
}

func isDigit(c rune) bool { return c >= '0' && c <= '9' }

// number is _match_number_unicode.
func (p *pyJSON) number(start int) (pyValue, int, error) {
	i, last := start, len(p.s)-1
	if p.s[i] == '-' {
		i++
		if i > last {
			return nil, 0, errExpecting(start)
		}
	}
	switch {
	case p.s[i] >= '1' && p.s[i] <= '9':
		i++
		for i <= last && isDigit(p.s[i]) {
			i++
		}
	case p.s[i] == '0':
		i++
	default:
		return nil, 0, errExpecting(start)
	}
	if i < last && p.s[i] == '.' && isDigit(p.s[i+1]) {
		i += 2
		for i <= last && isDigit(p.s[i]) {
			i++
		}
	}
	if i < last && (p.s[i] == 'e' || p.s[i] == 'E') {
		e := i
		i++
		if i < last && (p.s[i] == '-' || p.s[i] == '+') {
			i++
		}
		for i <= last && isDigit(p.s[i]) {
			i++
		}
		if !isDigit(p.s[i-1]) {
			i = e
		}
	}
	return pyOther{}, i, nil
}

// str is scanstring_unicode from i, just after the opening quote.
func (p *pyJSON) str(i int) (pyValue, int, error) {
	begin := i - 1
	var b strings.Builder
	for {
		next := i
		var c rune
		for ; next < len(p.s); next++ {
			c = p.s[next]
			if c == '"' || c == '\\' {
				break
			}
			if c <= 0x1f {
				return nil, 0, p.fail("Invalid control character at", next)
			}
		}
		if next >= len(p.s) {
			return nil, 0, p.fail("Unterminated string starting at", begin)
		}
		b.WriteString(string(p.s[i:next]))
		next++
		if c == '"' {
			return b.String(), next, nil
		}
		if next == len(p.s) {
			return nil, 0, p.fail("Unterminated string starting at", begin)
		}
		c = p.s[next]
		if c != 'u' {
			i = next + 1
			switch c {
			case '"', '\\', '/':
				b.WriteRune(c)
			case 'b', 'f', 'n', 'r', 't':
				b.WriteRune(map[rune]rune{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}[c])
			default:
				return nil, 0, p.fail("Invalid \\escape", i-2)
			}
			continue
		}
		next++
		end := next + 4
		if end >= len(p.s) {
			return nil, 0, p.fail("Invalid \\uXXXX escape", next-1)
		}
		u, ok := p.hex4(next)
		if !ok {
			return nil, 0, p.fail("Invalid \\uXXXX escape", end-5)
		}
		if utf16.IsSurrogate(u) && u < 0xdc00 && end+6 < len(p.s) && p.s[end] == '\\' && p.s[end+1] == 'u' {
			u2, ok := p.hex4(end + 2)
			if !ok {
				return nil, 0, p.fail("Invalid \\uXXXX escape", end+1)
			}
			if u2 >= 0xdc00 && u2 <= 0xdfff {
				u = utf16.DecodeRune(u, u2)
				end += 6
			}
		}
		b.WriteRune(u)
		i = end
	}
}

func (p *pyJSON) hex4(i int) (rune, bool) {
	var u rune
	for _, d := range p.s[i : i+4] {
		u <<= 4
		switch {
		case d >= '0' && d <= '9':
			u |= d - '0'
		case d >= 'a' && d <= 'f':
			u |= d - 'a' + 10
		case d >= 'A' && d <= 'F':
			u |= d - 'A' + 10
		default:
			return 0, false
		}
	}
	return u, true
}

// object is _parse_object_unicode from i, just after "{". Keys repeat as
// in a dict: the last one counts.
func (p *pyJSON) object(i int) (pyValue, int, error) {
	obj := map[string]pyValue{}
	i = p.skip(i)
	if i < len(p.s) && p.s[i] == '}' {
		return obj, i + 1, nil
	}
	for {
		if i >= len(p.s) || p.s[i] != '"' {
			return nil, 0, p.fail("Expecting property name enclosed in double quotes", i)
		}
		k, next, err := p.str(i + 1)
		if err != nil {
			return nil, 0, err
		}
		i = p.skip(next)
		if i >= len(p.s) || p.s[i] != ':' {
			return nil, 0, p.fail("Expecting ':' delimiter", i)
		}
		v, next, err := p.scan(p.skip(i + 1))
		if err != nil {
			return nil, 0, err
		}
		obj[k.(string)] = v
		i = p.skip(next)
		if i < len(p.s) && p.s[i] == '}' {
			return obj, i + 1, nil
		}
		if i >= len(p.s) || p.s[i] != ',' {
			return nil, 0, p.fail("Expecting ',' delimiter", i)
		}
		i = p.skip(i + 1)
	}
}

// array is _parse_array_unicode from i, just after "[".
func (p *pyJSON) array(i int) (pyValue, int, error) {
	i = p.skip(i)
	if i < len(p.s) && p.s[i] == ']' {
		return pyOther{}, i + 1, nil
	}
	for {
		_, next, err := p.scan(i)
		if err != nil {
			return nil, 0, err
		}
		i = p.skip(next)
		if i < len(p.s) && p.s[i] == ']' {
			return pyOther{}, i + 1, nil
		}
		if i >= len(p.s) || p.s[i] != ',' {
			return nil, 0, p.fail("Expecting ',' delimiter", i)
		}
		i = p.skip(i + 1)
	}
}

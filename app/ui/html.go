package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The pages build their HTML with these few helpers over go-app's generic
// elements (app.Elem) rather than with go-app's typed builders (app.Div(),
// app.Input(), ...): each typed element the app uses links dozens of
// methods into app.wasm (about 11 KB each), and each chained call costs
// code of its own. One generic element, attributes given as data, keep
// app.wasm within its size budget (see TestWasmSize in tessera/app).

// el returns the element tag with the attributes attrs, given as name and
// value pairs. A pair whose value is "" is left out: pass flag(b) for a
// boolean attribute (disabled, required), set when b.
func el(tag string, attrs ...string) app.HTMLElem {
	e := app.Elem(tag)
	for i := 1; i < len(attrs); i += 2 {
		if attrs[i] != "" {
			e = e.Attr(attrs[i-1], attrs[i])
		}
	}
	return e
}

// void is el for a void element (img, input).
func void(tag string, attrs ...string) app.HTMLElemSelfClosing {
	e := app.ElemSelfClosing(tag)
	for i := 1; i < len(attrs); i += 2 {
		if attrs[i] != "" {
			e = e.Attr(attrs[i-1], attrs[i])
		}
	}
	return e
}

// text is the element tag, of class (none when ""), holding the text s.
func text(tag, class, s string) app.HTMLElem {
	return el(tag, "class", class).Text(s)
}

// flag is the value of a boolean attribute: "true" (set) when b, else ""
// (left out). go-app writes "true" as the bare attribute in the
// prerendered page. Not for aria-* attributes, whose "true" must be
// written: there, pass "true" or "false".
func flag(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// boolString is "true" or "false", for aria-* attributes.
func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// link is <a href=href> with the text label and the attributes attrs.
func link(href, label string, attrs ...string) app.HTMLElem {
	return el("a", append([]string{"href", href}, attrs...)...).Text(label)
}

// button is a <button type=button> with id (none when ""), class and
// label, disabled when off (the attribute is then set; go-app would write
// disabled="false", which disables, in the prerendered page).
func button(id, class, label string, off bool, attrs ...string) app.HTMLElem {
	return el("button", append([]string{"type", "button", "id", id, "class", class, "disabled", flag(off)}, attrs...)...).Text(label)
}

// bind is an input handler that keeps the input's value in *p.
func bind(p *string) app.EventHandler {
	return func(ctx app.Context, _ app.Event) {
		*p = ctx.JSSrc().Get("value").String()
	}
}

// count is n and the word for it: "1 alert", "3 alerts".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

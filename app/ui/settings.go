package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Settings are the server's settings that change what the pages show.
//
// The server gives them to NewHandler, which writes them into the head of
// every page it serves (a meta tag per setting) and prerenders the pages
// with them; the wasm app reads them back from that page once, at start
// (NewEnv). Both sides render from the same values, so the prerendered page
// and the running app show the same thing, without a flicker.
type Settings struct {
	// RegistrationClosed hides every sign-up link, and /register says
	// that registration is closed instead of showing its form.
	RegistrationClosed bool
}

// registrationMeta is the name of the meta tag that carries
// Settings.RegistrationClosed, whose content is "closed" or "open".
const registrationMeta = "tessera-registration"

// registrationValue is the content of the registrationMeta tag.
func (s Settings) registrationValue() string {
	if s.RegistrationClosed {
		return "closed"
	}
	return "open"
}

// headTags returns the meta tags that carry s, for the head of the pages.
func (s Settings) headTags() []string {
	return []string{`<meta name="` + registrationMeta + `" content="` + s.registrationValue() + `">`}
}

// settingsFrom returns the settings whose registrationMeta value is
// registration: anything but "closed" leaves registration open, as a page
// without the tag (from an older server) does.
func settingsFrom(registration string) Settings {
	return Settings{RegistrationClosed: registration == "closed"}
}

// settingsParam is the query parameter by which Handler hands its Settings
// to the prerender of a page (see Handler.ServeHTTP). Its value is the
// registrationMeta value.
const settingsParam = "tessera-registration"

// prerenderSettings returns the settings of the Handler that prerenders
// the page of ctx, or def when there are none (a test engine). Call it from
// OnPreRender, so on the server only: in the browser the settings come from
// the page's head (Env.settings), whatever the URL says.
func prerenderSettings(ctx app.Context, def Settings) Settings {
	if u := ctx.Page().URL(); u != nil {
		if v := u.Query()[settingsParam]; len(v) > 0 {
			return settingsFrom(v[0])
		}
	}
	return def
}

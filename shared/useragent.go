package shared

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxUnknownAgent is how much of a user agent DeviceName shows when it does
// not recognise it.
const maxUnknownAgent = 60

var (
	reEdge    = regexp.MustCompile(`\bEdg(e|A|iOS)?/`)
	reOpera   = regexp.MustCompile(`\b(OPR|Opera)/`)
	reFirefox = regexp.MustCompile(`\b(Firefox|FxiOS)/`)
	reChrome  = regexp.MustCompile(`\b(HeadlessChrome|Chrome|Chromium|CriOS)/`)
	reSafari  = regexp.MustCompile(`\bVersion/[\d.]+.*\bSafari/`)
	reGo      = regexp.MustCompile(`^Go-http-client/`)
	reCurl    = regexp.MustCompile(`^curl/`)
)

// DeviceName turns a User-Agent header into the family of the browser and
// system, "<browser> on <system>" such as "Chrome on Linux", when it
// recognises both; otherwise the user agent, shortened. The server tells a
// new device by it, the app shows it.
func DeviceName(ua string) string {
	ua = strings.TrimSpace(ua)
	switch {
	case ua == "":
		return "Unknown device"
	case reGo.MatchString(ua):
		return "Go program"
	case reCurl.MatchString(ua):
		return "curl"
	}
	var browser string
	switch {
	case reEdge.MatchString(ua):
		browser = "Edge"
	case reOpera.MatchString(ua):
		browser = "Opera"
	case reFirefox.MatchString(ua):
		browser = "Firefox"
	case strings.Contains(ua, "HeadlessChrome/"):
		browser = "Headless Chrome"
	case reChrome.MatchString(ua):
		browser = "Chrome"
	case reSafari.MatchString(ua):
		browser = "Safari"
	}
	var system string
	switch {
	case strings.Contains(ua, "iPhone"):
		system = "iPhone"
	case strings.Contains(ua, "iPad"):
		system = "iPad"
	case strings.Contains(ua, "Android"):
		system = "Android"
	case strings.Contains(ua, "CrOS"):
		system = "ChromeOS"
	case strings.Contains(ua, "Windows"):
		system = "Windows"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		system = "macOS"
	case strings.Contains(ua, "Linux"), strings.Contains(ua, "X11"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	}
	if utf8.RuneCountInString(ua) <= maxUnknownAgent {
		return ua
	}
	r := []rune(ua)
	return strings.TrimSpace(string(r[:maxUnknownAgent-1])) + "…"
}

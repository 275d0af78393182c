package shared

import (
	"strings"
	"unicode/utf8"
)

// maxUnknownAgent is how much of a user agent DeviceName shows when it does
// not recognise it.
const maxUnknownAgent = 60

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// DeviceName turns a User-Agent header into the family of the browser and
// system, "<browser> on <system>" such as "Chrome on Linux", when it
// recognises both; otherwise the user agent, shortened. The server tells a
// new device by it, the app shows it.
func DeviceName(ua string) string {
	ua = strings.TrimSpace(ua)
	switch {
	case ua == "":
		return "Unknown device"
	case strings.HasPrefix(ua, "Go-http-client/"):
		return "Go program"
	case strings.HasPrefix(ua, "curl/"):
		return "curl"
	}
	// Plain string tests, not regular expressions: the regexp package
	// would add to the browser app's download for this alone.
	var browser string
	switch {
	case containsAny(ua, "Edg/", "Edge/", "EdgA/", "EdgiOS/"):
		browser = "Edge"
	case containsAny(ua, "OPR/", "Opera/"):
		browser = "Opera"
	case containsAny(ua, "Firefox/", "FxiOS/"):
		browser = "Firefox"
	case strings.Contains(ua, "HeadlessChrome/"):
		browser = "Headless Chrome"
	case containsAny(ua, "Chrome/", "Chromium/", "CriOS/"):
		browser = "Chrome"
	case isSafari(ua):
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

// isSafari reports whether ua has Safari's "Version/N" then "Safari/".
func isSafari(ua string) bool {
	_, after, ok := strings.Cut(ua, "Version/")
	return ok && after != "" && after[0] >= '0' && after[0] <= '9' && strings.Contains(after, "Safari/")
}

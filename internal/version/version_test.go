package version

import (
	"runtime"
	"testing"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		info Info
		want string
	}{
		{Info{Version: "dev", Go: "go1.26.8"}, "tessera dev, go1.26.8"},
		{Info{Version: "v1.2.0", Commit: "0123456789abcdef0123", Go: "go1.26.8"}, "tessera v1.2.0 (commit 0123456789ab), go1.26.8"},
		{Info{Version: "v1.2.0", Commit: "0123456789abcdef0123", Modified: true, Go: "go1.26.8"}, "tessera v1.2.0 (commit 0123456789ab, modified), go1.26.8"},
		// The version names the commit already (a stamp of git describe, or
		// the dev fallback): not twice.
		{Info{Version: "dev-0123456789ab-modified", Commit: "0123456789abcdef0123", Modified: true, Go: "go1.26.8"}, "tessera dev-0123456789ab-modified, go1.26.8"},
		{Info{Version: "0123456-dirty", Commit: "0123456789abcdef0123", Modified: true, Go: "go1.26.8"}, "tessera 0123456-dirty, go1.26.8"},
		{Info{Version: "v1.2.0-3-g0123456", Commit: "0123456789abcdef0123", Go: "go1.26.8"}, "tessera v1.2.0-3-g0123456, go1.26.8"},
	} {
		if got := tt.info.String(); got != tt.want {
			t.Errorf("%+v: String() = %q, want %q", tt.info, got, tt.want)
		}
	}
}

// TestGet: the release stamped at link time is the version; without one,
// "dev" (a test binary records no commit).
func TestGet(t *testing.T) {
	if info := Get(); info.Version != "dev" || info.Go != runtime.Version() {
		t.Fatalf("Get() unstamped = %+v", info)
	}
	release = "v1.2.0"
	defer func() { release = "" }()
	if info := Get(); info.Version != "v1.2.0" {
		t.Fatalf("Get() stamped = %+v", info)
	}
}

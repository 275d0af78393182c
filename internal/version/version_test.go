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
	} {
		if got := tt.info.String(); got != tt.want {
			t.Errorf("%+v: String() = %q, want %q", tt.info, got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	info := Get()
	if info.Version == "" || info.Go != runtime.Version() {
		t.Fatalf("Get() = %+v", info)
	}
}

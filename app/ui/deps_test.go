package ui_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestWasmCarriesNoServerCode: the browser build must not pull in the
// database, the password hashing or anything of the server; they would
// double the download and have no business in a browser.
func TestWasmCarriesNoServerCode(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "tessera/app")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list gave %d packages, too few to be the app's dependencies", len(deps))
	}
	for _, dep := range deps {
		for _, banned := range []string{"uptrace/bun", "sqlite", "pgdriver", "bcrypt", "tessera/backend", "golang-jwt"} {
			if strings.Contains(dep, banned) {
				t.Errorf("the wasm build imports %s (matches %q)", dep, banned)
			}
		}
	}
	if !strings.Contains(string(out), "tessera/shared") {
		t.Errorf("the wasm build does not import tessera/shared; is this the app?")
	}
}

// Package testpython finds the Python that tests run the Flask
// ecosystem's own code with (Debian's packages land in the system
// interpreter, which may not be the first python3 on PATH).
package testpython

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Require returns the path of a python3 that imports every one of
// modules. Without one the test is skipped, telling how to get them
// (install, an apt-get command line), except under CI=true, where it fails.
func Require(t testing.TB, install string, modules ...string) string {
	t.Helper()
	imports := "import " + strings.Join(modules, ", ")
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", imports).Run() == nil {
			return p
		}
	}
	what := "python3 with " + strings.Join(modules, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is needed under CI: %s", what, install)
	}
	t.Skipf("%s not found; install it with %s", what, install)
	return ""
}

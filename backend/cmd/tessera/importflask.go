package main

import (
	"context"
	"fmt"
	"io"
)

// runImportFlask runs `tessera import-flask ARGS...` and returns the exit
// code.
func runImportFlask(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fmt.Fprintln(stderr, "tessera import-flask: not implemented yet")
	return 2
}

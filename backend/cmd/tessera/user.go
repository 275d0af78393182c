package main

import (
	"context"
	"fmt"
	"io"
)

// runUser runs `tessera user ARGS...` and returns the exit code.
func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fmt.Fprintln(stderr, "tessera user: not implemented yet")
	return 2
}

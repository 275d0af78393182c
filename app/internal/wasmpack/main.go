// Command wasmpack writes the brotli (.br) and gzip (.gz) copies of
// web/static/app.wasm that the server sends to browsers that accept them.
//
//	go run ./app/internal/wasmpack [-brotli 9] web/static/app.wasm
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	level := flag.Int("brotli", 9, "brotli quality, 0..11 (11 is smallest and slowest)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmpack [-brotli N] path/to/app.wasm")
		os.Exit(2)
	}
	if err := pack(flag.Arg(0), *level); err != nil {
		fmt.Fprintf(os.Stderr, "wasmpack: %v\n", err)
		os.Exit(1)
	}
}

func pack(path string, level int) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read wasm: %w", err)
	}
	br, err := compress(raw, func(w io.Writer) (io.WriteCloser, error) { return brotli.NewWriterLevel(w, level), nil })
	if err != nil {
		return fmt.Errorf("brotli: %w", err)
	}
	gz, err := compress(raw, func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestCompression) })
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	for ext, b := range map[string][]byte{".br": br, ".gz": gz} {
		if err := os.WriteFile(path+ext, b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path+ext, err)
		}
	}
	fmt.Printf("%s: %d bytes, brotli %d, gzip %d\n", path, len(raw), len(br), len(gz))
	return nil
}

func compress(raw []byte, newWriter func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	var buf bytes.Buffer
	w, err := newWriter(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(raw); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

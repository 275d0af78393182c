# The Makefile is the contract with CI: `make test` is what .ci/run calls.
GO      ?= go
BIN     ?= bin/tessera

.PHONY: run build test lint bench clean

## run: start the server on localhost:8080 (data in ./data)
run:
	$(GO) run ./backend/cmd/tessera

## build: a static binary in bin/ (pure Go, no cgo needed)
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./backend/cmd/tessera

## test: gofmt check, go vet, every test with the race detector
test: lint
	$(GO) test -race -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## bench: the benchmarks (authenticated request path, login, store)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./backend/...

clean:
	rm -rf bin

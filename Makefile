# The Makefile is the contract with CI: `make test` is what .ci/run calls.
GO     ?= go
BIN    ?= bin/tessera
# The version the binary reports (tessera version, /api/healthz): the
# commit as git describes it, "-dirty" with changes not committed.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
VERSIONFLAGS := -ldflags="-X tessera/internal/version.release=$(VERSION)"
# Brotli quality of app.wasm.br: 9 builds in seconds; `make build` uses 11.
BROTLI ?= 9
# The race detector checks this module's code and the packages it calls,
# but not SQLite (modernc.org: C translated to Go, one connection per
# goroutine) nor bcrypt's cipher: instrumenting them doubles their build
# and run time and finds nothing of ours.
RACE := -race -gcflags=modernc.org/...=-race=false -gcflags=golang.org/x/crypto/...=-race=false
# staticcheck, pinned; `make tools` installs it (CI does).
STATICCHECK_VERSION := v0.8.2
STATICCHECK ?= $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: run build wasm test test-race test-outage test-node test-wasm lint lint-host lint-wasm wasm-checked tools axe bench load clean

## run: build the browser app, then start the server on localhost:8080
run: wasm
	$(GO) run $(VERSIONFLAGS) ./backend/cmd/tessera

## build: one static binary in bin/ with the app embedded (no cgo needed)
build:
	$(MAKE) wasm BROTLI=11
	CGO_ENABLED=0 $(GO) build -trimpath $(VERSIONFLAGS) -o $(BIN) ./backend/cmd/tessera

## wasm: web/static/app.wasm and its .br and .gz copies (rebuilt only on change)
# Without inlining (-l) app.wasm is 9% bigger raw but 5% smaller in brotli
# (1.44 MB instead of 1.51 MB): the inlined copies of standard-library code
# compress worse than calls. The app starts as quickly (the browser tests
# print the times); what it runs is user-interface code.
WASMFLAGS ?= -trimpath -ldflags="-s -w" -gcflags=all=-l
wasm:
	GOOS=js GOARCH=wasm $(GO) build $(WASMFLAGS) -o web/static/app.wasm.new ./app
	@if cmp -s web/static/app.wasm.new web/static/app.wasm; then rm web/static/app.wasm.new; else mv web/static/app.wasm.new web/static/app.wasm; fi
	@$(MAKE) --no-print-directory web/static/app.wasm.br

web/static/app.wasm.br web/static/app.wasm.gz: web/static/app.wasm
	$(GO) run ./app/internal/wasmpack -brotli $(BROTLI) web/static/app.wasm

## test: the lint checks, the wasm build, every test with the race detector,
## and the browser-only code (the cross-tab lock) under Node.js.
# On a fresh machine the host, race and wasm builds are most of the time, so
# the host checks use the tests' build flags (LINTFLAGS) to share their
# build cache, and the wasm side runs beside the host side (-j2).
test:
	@$(MAKE) --no-print-directory -j2 -Otarget test-outage test-node LINTFLAGS="$(RACE)"

test-race: lint-host wasm-checked
	$(GO) test $(RACE) -count=1 ./...

# The PostgreSQL outage test restarts the server (TEST_PG_RESTART, a
# command; CI sets it): alone, after every other test that uses it.
test-outage: test-race
	TEST_OUTAGE=1 $(GO) test $(RACE) -count=1 -run '^TestDatabaseOutage$$' ./backend/cmd/tessera/

test-node: lint-wasm
	@$(MAKE) --no-print-directory test-wasm

wasm-checked: lint-wasm
	@$(MAKE) --no-print-directory wasm

# The wasm-only tests run under Node.js through Go's go_js_wasm_exec.
test-wasm:
	@if command -v node >/dev/null 2>&1; then \
	  PATH="$$PATH:$$($(GO) env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm $(GO) test -count=1 ./shared/ && \
	  PATH="$$PATH:$$($(GO) env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm $(GO) test -count=1 -run 'WebLock|TokensRemoved' ./app/ui/; \
	elif [ "$$CI" = true ]; then echo "test-wasm: Node.js is needed under CI"; exit 1; \
	else echo "test-wasm: skipped, Node.js not found"; fi

## lint: gofmt, go.mod tidy, go vet and staticcheck (host and wasm)
lint: lint-host lint-wasm

lint-host: tools
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }
	$(GO) vet $(LINTFLAGS) ./...
	GOFLAGS="$(LINTFLAGS)" $(STATICCHECK) ./...

lint-wasm: tools
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./shared/...
	GOOS=js GOARCH=wasm $(STATICCHECK) ./app/... ./shared/...

## tools: install staticcheck at the pinned version unless it is there
tools:
	@$(STATICCHECK) -version 2>/dev/null | grep -qF '($(STATICCHECK_VERSION:v%=%))' || \
	  $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## axe: axe-core, pinned, which the browser tests check every page with,
## into the user's cache, where they look for it; CI runs it
AXE_VERSION := 4.14.1
AXE_DIR := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tessera/axe-core-$(AXE_VERSION)
axe:
	@[ -f "$(AXE_DIR)/node_modules/axe-core/axe.min.js" ] || \
	  npm install --no-save --no-audit --no-fund --prefix "$(AXE_DIR)" axe-core@$(AXE_VERSION)

## bench: the benchmarks, in one run: a bare net/http handler, the
## authenticated request path and rotating refreshes on SQLite (and on
## PostgreSQL with TEST_DATABASE_URL set, as for make test), login, store
bench:
	@[ -n "$$TEST_DATABASE_URL" ] || echo "bench: TEST_DATABASE_URL is not set: PostgreSQL is skipped"
	$(GO) test -run '^$$' -bench . -benchmem ./backend/...

## load: requests per second through real listeners with wrk (apt-get
## install wrk): a bare net/http handler, GET /api/user-data and rotating
## refreshes on SQLite and PostgreSQL (a database of its own on the server
## of TEST_DATABASE_URL, else the local one), median of 3 interleaved
## rounds. A few minutes; not part of make test.
load:
	CGO_ENABLED=0 $(GO) build -trimpath $(VERSIONFLAGS) -o $(BIN) ./backend/cmd/tessera
	$(GO) run ./internal/loadgen -tessera $(BIN) $(LOADFLAGS)

clean:
	rm -rf bin web/static/app.wasm web/static/app.wasm.br web/static/app.wasm.gz web/static/app.wasm.new

# warroom — see README.md. `make demo` runs the console on the embedded
# drill; `make test` starts real backends and runs every test.

GO      ?= go
BIN     := bin/warroom
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
GOBIN   := $(shell $(GO) env GOPATH)/bin
VHS_VERSION := v0.10.0
VHS     := $(GOBIN)/vhs

.PHONY: all build demo share-db share-db-stop run test test-unit fuzz bench bench-k8s lint golden vhs sandbox sandbox-stop backends-start backends-stop clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/warroom

## demo: the console on the embedded drill (nothing real is touched)
demo: build
	./$(BIN) demo

## share-db: a local PostgreSQL (the tests' own, on port 55532) to try the
## shared timeline: two consoles on one drill. share-db-stop stops it.
SHARE_DB_DIR ?= $(or $(TMPDIR),/tmp)/warroom-share-db-$(shell id -u)
SHARE_DSN    := postgres://postgres:warroom-test-pw@127.0.0.1:55532/postgres?sslmode=disable
share-db: build
	WARROOM_BACKENDS=pg WARROOM_PG_PORT=55532 WARROOM_BACKENDS_DIR=$(SHARE_DB_DIR) hack/backends.sh start
	@echo
	@echo "In one terminal:      ./$(BIN) demo --actor alice --share '$(SHARE_DSN)'"
	@echo "then in another:      ./$(BIN) incidents --share '$(SHARE_DSN)'"
	@echo "                      ./$(BIN) join ID --actor bob --share '$(SHARE_DSN)'"
	@echo "Stop it with:         make share-db-stop"

share-db-stop:
	WARROOM_BACKENDS_DIR=$(SHARE_DB_DIR) hack/backends.sh stop

## test: everything, against real PostgreSQL, Prometheus and kube-apiserver
## (installed, built and started by hack/backends.sh; stopped afterwards)
test:
	hack/with-backends.sh $(GO) test -race -count=1 ./...
	cd hack/k8s && $(GO) vet ./... && $(GO) test -count=1 ./...
	hack/fuzz.sh

## fuzz: a short run of every fuzz target (FUZZTIME=8s each; seeds run in every go test)
fuzz:
	hack/fuzz.sh

## test-unit: no backends; integration tests skip and say why
test-unit:
	$(GO) test -count=1 ./...

## bench: every Go benchmark, with the backends started as for make test
## (the shared timeline's latency needs PostgreSQL)
bench:
	hack/with-backends.sh $(GO) test -run '^$$' -bench . -benchmem ./...

# The pods pane against a real kube-apiserver with 10,000 pods (about 7
# minutes): start-up, idle cost, churn. WARROOM_BENCH_BASELINE=BIN measures
# another build side by side; the table goes to $$WARROOM_FIGURES.
bench-k8s:
	hack/bench-k8s.sh

lint: vhs
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(VHS) validate demo.tape

## golden: rewrite the program tests' golden screens after a deliberate change
golden:
	$(GO) test ./tui/ -run . -update

## vhs: build the tape tool from its Go module (validate needs no ttyd/ffmpeg)
vhs:
	@test -x $(VHS) || $(GO) install github.com/charmbracelet/vhs@$(VHS_VERSION)

sandbox:
	hack/sandbox.sh start

sandbox-stop:
	hack/sandbox.sh stop

backends-start:
	hack/backends.sh start

backends-stop:
	hack/backends.sh stop

clean:
	rm -rf bin

# vkernel — build, test, benchmark.
#
#   make build   bin/vkernel
#   make test    go vet; unit tests (-race where concurrent); then the guest-level
#                tests in ./tests/... against the rootfs cache (built if missing);
#                then the guest tests that drive the tracer and the servers
#                hardest against a -race build of vkernel (guest-race)
#   make fuzz [FUZZ_TIME=3600s]
#                the random-syscall fuzzer (tests/fuzz) as root, then as user
#                1000:1000, FUZZ_TIME each (default 60s); fails if the guest
#                reached the host; VKERNEL_FUZZ_SEED, _CALLS, _SKIP: see
#                tests/fuzz/doc.go
#   make bench   [BENCH_N=5] [BENCH_RUN=REGEXP] [BENCH_SIDES=native,vkernel,...]
#                timings natively, under vkernel and under its peers (PRoot,
#                bubblewrap, gVisor's runsc when on PATH) on the bench rootfs
#   make bench-deps  the peers and the bench rootfs only
#   make rootfs  build the rootfs cache only
#   make conformance [MODULES="test_os test_stat"] [CONFORMANCE_USER=1000:1000]
#                CPython's test suite natively vs in the guest, side by side;
#                fails on a difference docs/conformance.md does not list
#   make clean
#
# The guest rootfs cache lives outside the repository; override with
# make test VKERNEL_ROOTFS=/some/dir. Building it and running the guest tests
# need root.

GO             ?= go
# urfave/cli's man-page and markdown writers (and their markdown parser's
# initializers, 0.3 ms of every start) are not used.
GO_TAGS        := -tags urfave_cli_no_docs
VKERNEL_ROOTFS ?= /var/tmp/vkernel-rootfs
VKERNEL_BIN    := $(CURDIR)/bin/vkernel
BENCH_N        ?= 5
# Unit packages with concurrency, run under the race detector (needs cgo).
RACE_PATTERNS  := ./sentry/... ./dirfs/... ./stats/... ./interp/...
# Guest tests run against a -race vkernel: concurrent execs, signals in
# blocked calls, threads, vfork (a race report fails the run: it goes to
# the guest's stderr and sets the exit status).
RACE_BIN          := $(CURDIR)/bin/vkernel-race
RACE_GUEST_TESTS  := TestExecSwap|TestExecRace|TestVforkExec|TestSignalBlockedFifoOpen|TestKillPermission|TestProcThreads|TestPeerCredentials|TestNproc|TestThreadCreds|TestStats|TestLeaseBreakOpen

export VKERNEL_ROOTFS

FUZZ_TIME      ?= 60s

.PHONY: all build deps test unit guest-test guest-race fuzz rootfs rootfs-python conformance bench bench-go bench-deps clean

all: build

build:
	$(GO) build $(GO_TAGS) -o bin/vkernel ./cmd/vkernel

# The Debian packages the guest tests build their rootfs from (and cgo for
# -race, musl-tools for a program of another C library), installed when
# missing, so that `make test` works on a fresh machine.
DEB_PACKAGES := busybox-static debootstrap gcc libc6-dev musl-tools
# apt_install PACKAGES: install those of PACKAGES that are missing.
define apt_install
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing </dev/null; \
	fi
endef
deps:
	$(call apt_install,$(DEB_PACKAGES))

# Idempotent: reuses a complete cache, builds what is missing or stale.
rootfs: deps
	./scripts/build-rootfs.sh --java $(VKERNEL_ROOTFS)

test: deps unit guest-test guest-race

unit:
	$(GO) vet ./...
	@pkgs="$$($(GO) list $(RACE_PATTERNS) 2>/dev/null)"; \
	if [ -n "$$pkgs" ]; then echo "$(GO) test -race $(RACE_PATTERNS)"; $(GO) test -race $$pkgs; \
	else echo "no packages under $(RACE_PATTERNS) yet: skipping -race"; fi
	$(GO) test $$($(GO) list ./... | grep -v '^vkernel/tests/')

# Every guest-level package but the fuzzer, which make fuzz runs.
guest-test: build rootfs
	VKERNEL_BIN=$(VKERNEL_BIN) VKERNEL_ROOTFS=$(VKERNEL_ROOTFS) \
		$(GO) test -count=1 -timeout 15m $$($(GO) list ./tests/... | grep -v '^vkernel/tests/fuzz$$')

# The driver bounds each run itself (FUZZ_TIME plus 90s, then a kill).
fuzz: build rootfs
	VKERNEL_BIN=$(VKERNEL_BIN) VKERNEL_ROOTFS=$(VKERNEL_ROOTFS) VKERNEL_FUZZ_TIME=$(FUZZ_TIME) \
		$(GO) test -count=1 -timeout 0 -v -run TestFuzz ./tests/fuzz/

guest-race: rootfs
	$(GO) build $(GO_TAGS) -race -o $(RACE_BIN) ./cmd/vkernel
	VKERNEL_BIN=$(RACE_BIN) VKERNEL_ROOTFS=$(VKERNEL_ROOTFS) \
		$(GO) test -count=1 -timeout 10m -run '$(RACE_GUEST_TESTS)' ./tests/guest

# The python tree (python3 + libpython3.11-testsuite) for make conformance.
rootfs-python: deps
	./scripts/build-rootfs.sh --python $(VKERNEL_ROOTFS)

# MODULES: the test modules (default: the 19 docs/conformance.md lists);
# CONFORMANCE_USER=UID:GID: run as that user on both sides (default root);
# CONFORMANCE_FLAGS: more vkconform flags (-parallel 2, -v, -reuse-native, ...).
MODULES           ?=
CONFORMANCE_USER  ?=
CONFORMANCE_FLAGS ?=
conformance: build rootfs-python
	$(GO) build -o bin/vkconform ./cmd/vkconform
	./bin/vkconform -bin $(VKERNEL_BIN) -rootfs $(VKERNEL_ROOTFS)/python -known docs/conformance.md \
		$(if $(strip $(MODULES)),-modules "$(strip $(MODULES))") \
		$(if $(CONFORMANCE_USER),-user $(CONFORMANCE_USER)) $(CONFORMANCE_FLAGS)

# The peers make bench compares vkernel with (gVisor's runsc is not packaged
# by Debian: it is measured when a runsc is on PATH), and the bench rootfs:
# bookworm with git, gcc, make and python3.
BENCH_DEB_PACKAGES := proot bubblewrap
bench-deps: deps
	$(call apt_install,$(BENCH_DEB_PACKAGES))
	./scripts/build-rootfs.sh --bench $(VKERNEL_ROOTFS)

bench: build bench-deps bench-go
	$(GO) run ./bench -bin $(VKERNEL_BIN) -rootfs $(VKERNEL_ROOTFS)/bench -n $(BENCH_N) \
		-run '$(BENCH_RUN)' $(if $(BENCH_SIDES),-sides $(BENCH_SIDES))

# The Go benchmarks: the served call's round trip against a C supervisor's
# and native (tests/roundtrip), a cached stat and open (dirfs), the FD-table
# lookup (sentry).
bench-go: build rootfs
	VKERNEL_BIN=$(VKERNEL_BIN) VKERNEL_ROOTFS=$(VKERNEL_ROOTFS) \
		$(GO) test -run - -bench . -benchtime 100000x ./tests/roundtrip/
	$(GO) test -run - -bench 'Cached|FDTable' ./dirfs/ ./sentry/

clean:
	rm -rf bin/
	$(GO) clean -testcache

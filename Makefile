# netpolc: build, test and maintenance targets. Needs only Go, make and a
# POSIX shell with the usual text tools (grep, awk, sort); nothing is
# installed.
#
#   make build       go build ./... and the binary into bin/netpolc
#   make test        go vet, go test, then FUZZ_SMOKE (100 executions) of every fuzz target beside make knp (what CI runs)
#   make update      refresh golden files (go test -update in every package defining -update)
#   make fmt-check   gofmt and netpolc fmt report nothing to change
#   make fuzz        CYCLONUS_PROGRAMS (100,000) random programs against cyclonus,
#                    ENGINE_PROGRAMS (20,000) against Cilium's engine, AGREE_PROGRAMS
#                    (10,000 of each generator) of Cilium's engine against cyclonus,
#                    REACH_PROGRAMS (5,000) for the connectivity engine's tests,
#                    then FUZZTIME (default 10m) of EACH fuzz target, one after the other
#   make knp         kube-network-policies' own evaluation against the netpol-api
#                    target (test/knp), and against Cilium's engine on converted sets; part of make test
#   make bench       the Go benchmarks (both modules)
#   make tidy-check  go.mod and go.sum are tidy
#   make apiserver-test  the real kube-apiserver tests and the dataplane tests
#                    (test/apiserver/realk8s.sh run); part of make test

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO         ?= go
BIN        := bin/netpolc
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS    := -X main.version=$(VERSION)
# Budget of each fuzz target: a smoke run in make test, a real run in make fuzz.
# The smoke run counts executions (Nx) rather than seconds: Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" when a
# duration runs out while a worker is busy (go.dev/issue/75804), and a count
# has no deadline to race. make fuzz uses a duration and tolerates that one
# message when no failing input was written (see run_fuzz).
FUZZ_SMOKE ?= 100x
FUZZTIME   ?= 10m
# Random programs of the differential tests in make fuzz: netpolc's evaluator
# against cyclonus (k8s output) and against Cilium's engine (cilium output).
CYCLONUS_PROGRAMS ?= 100000
ENGINE_PROGRAMS ?= 20000
# Random programs of each generator in make fuzz for the engine-vs-engine
# test: Cilium's engine on the cilium output against cyclonus on the k8s
# output, no netpolc verdict in between (TestEnginesAgree).
AGREE_PROGRAMS ?= 10000
# Random programs of each generator in make fuzz for the connectivity engine
# (compile/reach): against its naive reference, cyclonus and Cilium's engine.
REACH_PROGRAMS ?= 5000
# Random programs in make fuzz for the netpol-api target against
# kube-network-policies in process (test/knp), and Cilium sets of each
# generator converted to it and checked against Cilium's engine.
KNP_PROGRAMS ?= 20000
CONVERT_SETS ?= 3000

.PHONY: all build test vet unit engine knp fuzz-smoke knp-and-fuzz-smoke fuzz update fmt-check bench tidy-check clean

all: build

build:
	$(GO) build ./...
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/netpolc

test: vet unit engine knp-and-fuzz-smoke

vet:
	$(GO) vet ./...

unit:
	$(GO) test ./...

# Cilium's own policy engine as an oracle: a module of its own (its
# dependencies stay out of the main module).
engine:
	cd backends/cilium/enginetest && $(GO) vet ./... && $(GO) test ./...

# kube-network-policies' own evaluation of the netpol-api target's output, in
# process (test/knp, a module of its own, built through gooverlay.sh: see
# test/knp/README.md): the differential test, the regression cases, and
# Cilium sets converted to the target against Cilium's engine on the
# originals.
knp:
	test/knp/gooverlay.sh vet ./...
	test/knp/gooverlay.sh test ./...

# fuzz_targets prints "PACKAGE Fuzz1 Fuzz2 ..." for each package with fuzz
# targets, from go test -list (names, then an "ok <package>" line).
define fuzz_targets
$(GO) test -list '^Fuzz' ./... | awk '/^Fuzz/ { names = names " " $$1; next } /^ok/ { if (names != "") print $$2 names; names = "" }'
endef

# run_fuzz runs each fuzz target for $(1). go test -fuzz takes one package
# and one target at a time. A run whose only failure is the coordinator's
# spurious "context deadline exceeded" (go.dev/issue/75804: no failing input
# written, no panic) is reported and tolerated; any other failure fails.
define run_fuzz
targets="$$($(fuzz_targets))"; \
if [ -z "$$targets" ]; then echo "no fuzz targets"; exit 0; fi; \
log="$$(mktemp)"; trap 'rm -f "$$log"' EXIT; \
while read -r pkg names; do \
	for name in $$names; do \
		echo "fuzz $$pkg $$name for $(1)"; \
		if ! $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(1) "$$pkg" 2>&1 | tee "$$log"; then \
			if grep -q 'context deadline exceeded' "$$log" && ! grep -qE 'Failing input written|panic:' "$$log"; then \
				echo "fuzz $$pkg $$name: tolerated the fuzz coordinator's deadline race (go.dev/issue/75804); no failing input"; \
			else \
				exit 1; \
			fi; \
		fi; \
	done; \
done <<< "$$targets"
endef

# knp-and-fuzz-smoke runs knp beside the fuzz smoke: each keeps about one of
# two cores busy (the smoke's time is mostly starting each target), so side
# by side they take about 15 s less. knp's output is printed after the
# smoke's; both must pass.
knp-and-fuzz-smoke:
	@log="$$(mktemp)"; trap 'rm -f "$$log"' EXIT; \
	$(MAKE) --no-print-directory knp >"$$log" 2>&1 & knp=$$!; \
	if $(MAKE) --no-print-directory fuzz-smoke; then fuzz=0; else fuzz=$$?; fi; \
	if wait $$knp; then knprc=0; else knprc=$$?; fi; \
	echo "--- make knp (run beside the fuzz smoke):"; cat "$$log"; \
	[ $$fuzz -eq 0 ] && [ $$knprc -eq 0 ]

fuzz-smoke:
	@$(call run_fuzz,$(FUZZ_SMOKE))

fuzz:
	NETPOLC_PROGRAMS=$(CYCLONUS_PROGRAMS) $(GO) test -count=1 -timeout 3h -run '^TestDifferentialCyclonus$$' ./backends/k8s
	cd backends/cilium/enginetest && NETPOLC_PROGRAMS=$(ENGINE_PROGRAMS) $(GO) test -count=1 -timeout 3h -run Differential ./...
	cd backends/cilium/enginetest && NETPOLC_PROGRAMS=$(AGREE_PROGRAMS) $(GO) test -count=1 -timeout 3h -run '^TestEnginesAgree$$' ./...
	NETPOLC_PROGRAMS=$(REACH_PROGRAMS) NETPOLC_ORACLE_PROGRAMS=$(REACH_PROGRAMS) $(GO) test -count=1 -timeout 3h -run '^(TestEngineMatchesReference|TestCyclonusFullMatrix)$$' ./compile/reach
	cd backends/cilium/enginetest && NETPOLC_REACH_PROGRAMS=$(REACH_PROGRAMS) $(GO) test -count=1 -timeout 3h -run '^TestReachCilium' ./...
	NETPOLC_PROGRAMS=$(KNP_PROGRAMS) NETPOLC_CONVERT_SETS=$(CONVERT_SETS) test/knp/gooverlay.sh test -count=1 -timeout 3h -run '^(TestDifferentialKubeNetworkPolicies|TestConvertCiliumToNetpolAPI)$$' .
	@$(call run_fuzz,$(FUZZTIME))

# Only packages that define the -update flag accept it.
update:
	@pkgs="$$(grep -rlE --include='*_test.go' 'flag\.Bool\("update"' . | xargs -r -n1 dirname | sort -u)"; \
	for p in $$pkgs; do echo "$(GO) test $$p -update"; $(GO) test "$$p" -update; done

fmt-check: build
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@out="$$(./$(BIN) fmt -l examples/...)"; \
	if [ -n "$$out" ]; then echo "netpolc fmt would change:"; echo "$$out"; exit 1; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	cd backends/cilium/enginetest && $(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

tidy-check:
	$(GO) mod tidy -diff
	cd backends/cilium/enginetest && $(GO) mod tidy -diff
	cd test/apiserver && $(GO) mod tidy -diff
	cd test/knp && $(GO) mod tidy -diff

clean:
	rm -rf bin

# --- A real kube-apiserver (test/apiserver) ----------------------------------
# Every object netpolc emits for the examples and for 80 random programs, both
# targets, must be accepted by a real kube-apiserver (with etcd and the Cilium
# CRDs) and read back unchanged; beside those tests, kube-network-policies
# enforces the NetworkPolicies of the examples and 12 random programs on real
# packets between network-namespace pods (as root; docs/dataplane.md).
# realk8s.sh builds the servers and the agent from Go modules into a cache
# outside the repository (4-7 min once, and 2-7 min for the agent, on 2
# cores), starts them on loopback, runs test/apiserver's tests and always
# stops them.
.PHONY: apiserver-test
test: apiserver-test

apiserver-test:
	test/apiserver/realk8s.sh run

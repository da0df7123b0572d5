# The two commands a user needs: `make run` and `make test`. Both install what is
# missing first (Debian packages), then build with CMake.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The config `make run` serves; the drill (docs/DRILL.md) passes its own copy.
CONFIG ?= runbookd.yaml

.PHONY: all deps build run test clean bench drill fuzz install

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Builds only what it runs: the runbookd binary (not the ASan variant, not the tests).
run: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target runbookd
	@scripts/run.sh $(BUILD)/runbookd $(CONFIG)

# make install [DESTDIR=...] [PREFIX=/usr]: the binary, example config and rules, man
# pages, systemd unit (see man/runbookd.8). Builds only the runbookd target.
PREFIX ?= /usr/local
install: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target runbookd
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The live setup of tests/live for a person: prints the URLs and the faults; Ctrl-C stops it.
drill: build
	@scripts/drill.sh $(BUILD)/runbookd

# Each libFuzzer target for FUZZ_SECONDS (default 300) on its corpus in $(BUILD)/fuzz/work.
FUZZ_SECONDS ?= 300
fuzz: build
	@test -d $(BUILD)/fuzz || { echo "fuzz targets need clang with libFuzzer (libclang-rt-14-dev)"; exit 1; }
	@for t in payload matcher template config time; do \
	  tests/fuzz/run.sh $(BUILD)/fuzz/fuzz_$$t $$t $(FUZZ_SECONDS) $(BUILD)/fuzz/work || exit 1; \
	done

bench: build
	@scripts/install-deps.sh --bench
	@bench/run.sh $(BUILD)/runbookd

clean:
	rm -rf $(BUILD)

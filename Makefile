# The two commands a user needs: `make run` and `make test`. Both install what is
# missing first (Debian packages), then build with CMake.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build run test clean bench drill

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run.sh $(BUILD)/runbookd

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The live setup of tests/live for a person: prints the URLs and the faults; Ctrl-C stops it.
drill: build
	@scripts/drill.sh $(BUILD)/runbookd

bench: build
	@scripts/install-deps.sh --bench
	@bench/run.sh $(BUILD)/runbookd

clean:
	rm -rf $(BUILD)

# SPDX-License-Identifier: MIT
# Entry points. `make setup` installs the Debian packages; `make` builds the
# release preset into build/ (the CLI is build/bin/tutti); `make test` runs the
# whole suite; `make demo` runs the main job on an example program.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD := build
TUTTI := $(BUILD)/bin/tutti
FAUST_EXAMPLES ?= /usr/share/faust/examples

.PHONY: all setup configure build test demo bench fuzz asan format clean

all: build

setup:
	bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake --preset release

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	@echo "== tutti parse: a reverb and every library it imports"
	$(TUTTI) parse --stats $(FAUST_EXAMPLES)/reverb/zitaRev.dsp
	@echo "== tutti parse --dump: the syntax tree of a small program"
	$(TUTTI) parse --dump $(FAUST_EXAMPLES)/generator/noise.dsp
	@echo "== tutti parse: every example program"
	@n=0; for f in $$(find $(FAUST_EXAMPLES) -name '*.dsp' | sort); do \
	    $(TUTTI) parse $$f || exit 1; n=$$((n+1)); done; echo "$$n example programs parsed without a diagnostic"

bench: build
	$(BUILD)/bin/bench_parse

fuzz:
	bash scripts/fuzz.sh

asan:
	cmake --preset asan-ubsan
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

format:
	find src include tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-debug build-asan build-fuzz build-ci

# SPDX-License-Identifier: MIT
# Entry points. `make setup` installs the Debian packages; `make` builds the
# release preset into build/ (the CLI is build/bin/tutti); `make test` runs the
# whole suite; `make demo` runs the main job on an example program.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD := build
TUTTI := $(BUILD)/bin/tutti
FAUST_EXAMPLES ?= /usr/share/faust/examples

.PHONY: all setup configure build test demo bench fuzz asan format clean conformance

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
	@echo "== tutti render: an oscillator into a reverb, 3 seconds, to build/demo.wav"
	$(TUTTI) render scripts/demo.dsp -o $(BUILD)/demo.wav --seconds 3
	@echo "== the same as text: level of the 2 channels"
	@$(TUTTI) render scripts/demo.dsp -o - --seconds 3 | awk '!/^#/ { for (i = 2; i <= NF; i++) { s += $$i * $$i; n++; \
	    if ($$i > m) m = $$i } } END { printf "rms %.4f, peak %.4f over %d samples\n", sqrt(s / n), m, n }'
	@echo "== tutti render: the zita reverb's impulse response, against the reference faust"
	$(TUTTI) render $(FAUST_EXAMPLES)/reverb/zitaRev.dsp -o $(BUILD)/zitaRev-impulse.wav --input impulse --seconds 2
	@echo "== tutti parse: every example program"
	@n=0; for f in $$(find $(FAUST_EXAMPLES) -name '*.dsp' | sort); do \
	    $(TUTTI) parse $$f || exit 1; n=$$((n+1)); done; echo "$$n example programs parsed without a diagnostic"

conformance: build
	bash scripts/conformance.sh --jobs $(JOBS)

bench: build
	$(BUILD)/bin/bench_parse
	$(BUILD)/bin/bench_compile

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

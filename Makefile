# SPDX-License-Identifier: MIT
# Entry points. `make setup` installs the Debian packages; `make` builds the
# release preset into build/ (the CLI is build/bin/tutti); `make test` runs the
# whole suite and a minute of each fuzz target; `make demo` runs the main job on
# an example program.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD := build
TUTTI := $(BUILD)/bin/tutti
FAUST_EXAMPLES ?= /usr/share/faust/examples

.PHONY: all setup configure build test demo bench bench-tiered fuzz asan tsan format format-check tidy install clean conformance
.PHONY: netjack-tables netjack-soak

all: build

setup:
	bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake --preset release

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# After the suite, a short fuzz run (FUZZ_CI_SECONDS each, default 30) of every
# fuzz target (scripts/fuzz.sh: clang, ASan+UBSan, only the fuzz targets and
# what they link, in build-fuzz/), from FUZZ_CI_SEEDS seeds drawn at random
# from the stored corpora, the seeds and the regression inputs (all of which
# ctest has just replayed); any finding fails `make test`.
FUZZ_CI_SECONDS ?= 30
FUZZ_CI_SEEDS ?= 8

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_CI_SECONDS) FUZZ_JOBS=$(JOBS) FUZZ_EXAMPLES=0 FUZZ_SAMPLE=$(FUZZ_CI_SEEDS) bash scripts/fuzz.sh

demo: build
	@echo "== tutti render: an oscillator into a reverb, 3 seconds, to build/demo.wav"
	$(TUTTI) render scripts/demo.dsp -o $(BUILD)/demo.wav --seconds 3
	@echo "== the same as text: level of the 2 channels"
	@$(TUTTI) render scripts/demo.dsp -o - --seconds 3 | awk '!/^#/ { for (i = 2; i <= NF; i++) { s += $$i * $$i; n++; \
	    if ($$i > m) m = $$i } } END { printf "rms %.4f, peak %.4f over %d samples\n", sqrt(s / n), m, n }'
	@echo "== tutti render --swap-at: scripts/demo_edit.dsp swapped in at 1.5 s, the state carried over"
	$(TUTTI) render scripts/demo.dsp -o $(BUILD)/demo-swap.wav --seconds 3 \
	    --swap-at 66150:scripts/demo_edit.dsp 2> $(BUILD)/demo-swap.log
	@head -4 $(BUILD)/demo-swap.log; echo "   ... (every state field: $(BUILD)/demo-swap.log)"
	@echo "== tutti render: the zita reverb's impulse response, against the reference faust"
	$(TUTTI) render $(FAUST_EXAMPLES)/reverb/zitaRev.dsp -o $(BUILD)/zitaRev-impulse.wav --input impulse --seconds 2
	@echo "== tutti parse: every example program"
	@n=0; for f in $$(find $(FAUST_EXAMPLES) -name '*.dsp' | sort); do \
	    $(TUTTI) parse $$f || exit 1; n=$$((n+1)); done; echo "$$n example programs parsed without a diagnostic"

conformance: build
	bash scripts/conformance.sh --jobs $(JOBS)
	bash scripts/conformance.sh --jobs $(JOBS) --single --report docs/conformance-single.md

bench: build
	$(BUILD)/bin/bench_parse
	$(BUILD)/bin/bench_compile
	$(BUILD)/bin/bench_swap
	bash scripts/edit_latency.sh $(FAUST_EXAMPLES)/generator/osc.dsp 6
	bash scripts/edit_latency.sh $(FAUST_EXAMPLES)/reverb/zitaRev.dsp 6
	bash bench/cost/cost.sh $(BUILD)
	bash bench/control/ws_latency.sh $(BUILD) 200
	$(BUILD)/bin/bench_cache
	bash bench/tiered/tiered.sh $(BUILD) 7

# Tiered start, the library cache and constant-only edits (issue 14 section 4).
bench-tiered: build
	bash bench/tiered/tiered.sh $(BUILD) 7

# tutti serve under load (issue 13): 8 clients compiling at once and one out of memory.
.PHONY: bench-serve
bench-serve: build
	bash bench/serve/serve_load.sh $(BUILD)

# NetJack (issue 12): the must-show tables (about 4 minutes), and the
# 10-minute loss run at 1 % and 2 % (two network namespaces at once).
netjack-tables: build
	bash bench/netjack/tables.sh $(BUILD)

netjack-soak: build
	for p in 1 2; do \
	    NETJACK_LOSS_SECONDS=600 NETJACK_LOSS_PERCENT=$$p tests/tools/in_netns.sh \
	        $(BUILD)/bin/tutti_netjack_interop_tests \
	        --gtest_filter=NetJackLoopback.LossIsConcealedAtAConstantLatency \
	        > $(BUILD)/netjack-soak-$$p.log 2>&1 & \
	done; wait; grep -hE '^(netjack loss|libjacknet|\[  )' $(BUILD)/netjack-soak-1.log $(BUILD)/netjack-soak-2.log; \
	! grep -q FAILED $(BUILD)/netjack-soak-1.log $(BUILD)/netjack-soak-2.log

# The speed runner (issue 14; bench/speed/run.sh): compile and run time of tutti
# against libfaust's JIT and faust's C++ under g++, in one run. Full: the nine
# programs of the issue; quick: three, shorter.
.PHONY: bench-speed bench-speed-quick
bench-speed: build
	bash bench/speed/run.sh --full $(BUILD)

bench-speed-quick: build
	bash bench/speed/run.sh --quick $(BUILD)

fuzz:
	bash scripts/fuzz.sh

asan:
	cmake --preset asan-ubsan
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# ThreadSanitizer over the threaded code: the engine (control, worker, tier and
# audio threads), the control hub and its OSC, HTTP and WebSocket servers, MIDI
# input, DNS-SD discovery, the compiled-code cache, the compile server and its
# client, and the drivers (null and JACK with a private jackd), built in
# build-tsan with -j2. Any report fails the run (halt_on_error); the only
# suppressions are for libraries that are not ours (tests/tsan.supp). The
# real-time checker is off in this build (TSan owns malloc and the locks), so
# its self-test RtGuard.* is left out; so is the null driver's block-rate
# measurement (a timing bound that TSan's slowdown on a busy machine can miss;
# its thread is exercised by the other NullDriver tests), and the slow-client
# flood (40,000 messages a reading client must keep up with: under TSan's
# slowdown it falls behind and is rightly dropped too), and the compile server's
# load test (it asserts that 8 compilations finish before a 10 s time limit
# does, which TSan's slowdown makes false; its threads are exercised by the
# other serve tests). All run in every other build.
TSAN_BUILD := build-tsan
TSAN_TESTS := tutti_engine_tests tutti_null_driver_tests tutti_jack_driver_tests \
    tutti_control_tests tutti_osc_tests tutti_http_server_tests tutti_midi_tests \
    tutti_discovery_tests tutti_cache_tests tutti_serve_tests
TSAN_EXCLUDE := RtGuard.*:NullDriver.CallbacksArriveAtTheBlockRate:HttpServer.ASlowWebSocketClientIsDroppedTheOthersGoOn:ServeLoad.*
# TSAN_ARGS: more gtest options, e.g. make tsan TSAN_ARGS=--gtest_repeat=5
TSAN_OPTIONS_ALL := halt_on_error=1 second_deadlock_stack=1 history_size=4 \
    suppressions=$(CURDIR)/tests/tsan.supp

tsan:
	@test -f $(TSAN_BUILD)/build.ninja || cmake --preset tsan
	cmake --build $(TSAN_BUILD) -j 2 --target $(TSAN_TESTS)
	@for t in $(TSAN_TESTS); do \
	    echo "== $$t (ThreadSanitizer)"; \
	    TSAN_OPTIONS="$(TSAN_OPTIONS_ALL)" $(TSAN_BUILD)/bin/$$t --gtest_filter='-$(TSAN_EXCLUDE)' $(TSAN_ARGS) \
	        || { echo "tsan: $$t failed (a ThreadSanitizer report or a test failure, above)"; exit 1; }; \
	done

# Formatting with Debian 12's clang-format-14 (.clang-format): `make format`
# rewrites the tracked C/C++ files in place, `make format-check` lists those that
# differ and fails if any does. Left out: test inputs (tests/language: foreign
# headers the Faust programs include) and tools/reference (a Faust architecture
# file with the reference's placeholders).
CLANG_FORMAT ?= clang-format-14
FORMAT_FILES = git ls-files -- 'src/*.cpp' 'src/*.h' 'include/*.h' 'tests/*.cpp' 'tests/*.h' 'tests/*.c' \
    'bench/*.cpp' 'bench/*.h' 'examples/*.cpp' 'examples/*.h' ':!:tests/language/*'

format:
	$(FORMAT_FILES) | xargs $(CLANG_FORMAT) -i

format-check:
	@n=0; for f in $$($(FORMAT_FILES)); do \
	    $(CLANG_FORMAT) --dry-run -Werror "$$f" >/dev/null 2>&1 || { echo "not formatted: $$f"; n=$$((n+1)); }; \
	done; echo "$$n file(s) not formatted ($(CLANG_FORMAT))"; [ $$n -eq 0 ]

# clang-tidy-14 with .clang-tidy over the project's own C/C++ files in
# $(BUILD)/compile_commands.json; prints every finding, then the count per check,
# and fails if there is any (log in $(BUILD)/tidy.log). TIDY_FILES: a regex to
# check fewer files, e.g. make tidy TIDY_FILES=src/capi
TIDY_FILES ?=
tidy: configure
	bash scripts/tidy.sh $(BUILD) $(JOBS) $(TIDY_FILES)

# Installs into PREFIX (default /usr/local): headers, libtutti.so/.a, the CMake
# package (find_package(tutti)), tutti.pc and the tutti command.
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-debug build-asan build-tsan build-fuzz build-ci

# Thin convenience wrapper around scripts/setup.sh, CMake/Ninja and ctest.
#
#   make run           install deps, build (Release) and run the server on 127.0.0.1:9090
#   make test          install deps, build everything, run all tests, check formatting
#   make checked       unit tests under ASan+UBSan, clang -Werror=thread-safety (build-clang/)
#   make asan          the same as make checked (its old name)
#   make tsan          the tsan-labelled tests under ThreadSanitizer (build-tsan/)
#   make format        clang-format every C++ source in place
#   make format-check  fail if any C++ source is not clang-formatted
#   make layers-check  fail if an include breaks the tsdb layers or the module graph
#   make tidy          clang-tidy over the project's sources
#   make thread-safety clang's -Wthread-safety analysis over every source (needs a configured build)
#   make bench         build and run the micro-benchmarks
#   make fuzz          build the libFuzzer targets (clang, build-fuzz/) and run each 30 s (docs/FUZZING.md)
#   make clean         remove build directories and ./data
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= 2
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?=
SOURCE_DIRS := tsdb scrape promql rules remote web server bench tests
# Every C++ file we own, tracked or not, minus build trees.
CXX_SOURCES = $(shell find $(SOURCE_DIRS) -type f \( -name '*.cc' -o -name '*.h' \) 2>/dev/null | sort)

.PHONY: all setup configure build run test ctest checked asan tsan format format-check layers-check tidy bench fuzz clean

all: build

setup:
	./scripts/setup.sh

configure:
	cmake -G Ninja -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	ninja -C $(BUILD_DIR) -j$(JOBS)

run: setup configure
	ninja -C $(BUILD_DIR) -j$(JOBS) promethium
	mkdir -p data
	exec $(BUILD_DIR)/server/promethium --config.file=prometheus.yml.example \
	  --storage.tsdb.path=./data --web.listen-address=127.0.0.1:9090

ctest:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

# format-check and layers-check run first so that ctest's summary is the last thing printed.
test: setup build
	$(MAKE) --no-print-directory format-check
	$(MAKE) --no-print-directory layers-check
	$(MAKE) --no-print-directory ctest

# The sanitizer builds are CMakePresets.json presets; each builds only the
# binaries its ctest label needs, and the test preset sets ASAN_/UBSAN_/
# TSAN_OPTIONS (halt on the first report). See docs/TESTING.md.
checked: setup
	cmake --preset clang-checked $(CMAKE_FLAGS) >/dev/null
	cmake --build --preset clang-checked -j$(JOBS)
	ctest --preset clang-checked -j$(JOBS)

asan: checked

tsan: setup
	cmake --preset tsan $(CMAKE_FLAGS) >/dev/null
	cmake --build --preset tsan -j$(JOBS)
	ctest --preset tsan -j$(JOBS)

format:
	clang-format -i $(CXX_SOURCES)

format-check:
	@clang-format --dry-run --Werror $(CXX_SOURCES) && echo "format-check: OK"

# Includes against the layer order of tsdb and the module graph (docs/ARCHITECTURE.md).
layers-check:
	@python3 scripts/check_layers.py

# GCC ignores the GUARDED_BY/REQUIRES annotations; clang checks them here
# (syntax only, about a second per file; scripts/thread_safety_check.py).
thread-safety: configure
	python3 scripts/thread_safety_check.py --build-dir $(BUILD_DIR) --jobs $(JOBS)

tidy: configure
	clang-tidy -p $(BUILD_DIR) --quiet $(filter %.cc,$(CXX_SOURCES))

bench: configure
	ninja -C $(BUILD_DIR) -j$(JOBS)
	@set -e; for b in $(BUILD_DIR)/bench/*; do \
	  if [[ -f "$$b" && -x "$$b" ]]; then echo "== $$b"; "$$b"; fi; \
	done

# FUZZ_SECONDS: -max_total_time per target; the seed corpora are copied, never grown.
fuzz:
	./scripts/run_fuzzers.sh -j $(JOBS) -t $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-clang build-tsan data

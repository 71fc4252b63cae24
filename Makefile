# Thin wrapper over CMake: the commands a new user types. Each installs what is missing first.
BUILD      ?= build
BUILD_SAN  ?= build-sanitize
JOBS       ?= $(shell nproc)
RUN_DIR    ?= mlps-data
RESULTS    ?= mlps-results

.PHONY: all deps build build-sanitize run test test-fast test-sanitize bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-sanitize: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DMLPS_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)

# The main job on a local directory.
run: build
	@bash scripts/run-demo.sh $(BUILD)/mlps $(RUN_DIR) $(RESULTS)

test: test-fast test-sanitize

test-fast: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Unit tests run with leak checking; the integration tests run the program under mpirun, whose
# runtime threads can crash LeakSanitizer's exit-time scan, so there only ASan and UBSan check.
SAN_COMMON = abort_on_error=1:fast_unwind_on_malloc=0
test-sanitize: build-sanitize
	@cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:$(SAN_COMMON) \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -R '^unit[.]'
	@cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=0:$(SAN_COMMON) \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -R '^integration[.]'

bench: build
	@bash bench/run-all.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)

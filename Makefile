# The two commands of the quick start, and a few more. Everything real is in
# CMake (CMakeLists.txt) and scripts/; this file only names the entry points.
#
#   make run     build (release) and run the main job: the heap tour example
#   make check   build and run every test: gcc, clang, -fsanitize=undefined,
#                valgrind, and the embedded cross-builds (scripts/check.sh)
#   make bench   the benchmark against glibc, mimalloc, jemalloc, tcmalloc
#   make install PREFIX=/usr/local

BUILD ?= build/release
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all run check bench install clean

all:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: all
	$(BUILD)/examples/heap_tour

check:
	bash scripts/check.sh

bench:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS) --target bench

install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build

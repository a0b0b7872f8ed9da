# einsim build.  `make run` and `make test` work as the first command on a
# fresh Debian 12 machine: both go through `deps` (.ci/deps.sh), which
# apt-installs what is missing and fetches the GPT-2 tokenizer files.
#
#   make            build build/bin/einsim
#   make run        the main job on bundled defaults
#   make test       every test; ends with "N passed, N failed"
#   make bench      benchmarks (figures printed, never asserted)
#   make SANITIZE=1 test     same, with ASan/UBSan (objects in build-san/)
#   make install PREFIX=/usr/local

PREFIX   ?= /usr/local
SANITIZE ?= 0
NPROC    := $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1 -g
else
BUILD ?= build
SANFLAGS :=
OPT := -O2 -g
endif

CC      ?= cc
PKGS    := yaml-0.1 libcjson gsl
CFLAGS  := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wno-format-truncation \
           -Wshadow -Wundef -Wmissing-prototypes -Wstrict-prototypes $(OPT) $(SANFLAGS) -MMD -MP -I. \
           $(shell pkg-config --cflags $(PKGS) openblas 2>/dev/null) \
           -DEINSIM_SRCDIR='"$(CURDIR)"'
# OpenBLAS first so its CBLAS wins over GSL's reference CBLAS.
LDLIBS  := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas) \
           $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
LDFLAGS := $(SANFLAGS)
TEST_LDLIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# Rooms, upstream first (DESIGN §1).  A room's library is every .c under it,
# except sim/sc (C++) and the CLI entry point.
ROOMS := golden models mapper sim
room_srcs = $(shell find $(1) -name '*.c' -not -path 'sim/sc/*' -not -name 'main.c' 2>/dev/null | sort)
room_lib  = $(BUILD)/lib/libes_$(1).a
LIBS_DOWNSTREAM_FIRST := $(foreach r,sim mapper models golden,$(call room_lib,$(r)))

define ROOM_RULES
$(1)_SRCS := $$(call room_srcs,$(1))
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$($(1)_SRCS))
$$(call room_lib,$(1)): $$($(1)_OBJS)
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
ALL_OBJS += $$($(1)_OBJS)
endef
$(foreach r,$(ROOMS),$(eval $(call ROOM_RULES,$(r))))

EINSIM := $(BUILD)/bin/einsim
TEST_SRCS  := $(sort $(wildcard tests/*/test_*.c))
TEST_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(BENCH_SRCS))

.PHONY: all deps run test bench experiments install clean build-tests build-bench
.DEFAULT_GOAL := all

all: $(EINSIM)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(EINSIM): $(BUILD)/obj/sim/cli/main.o $(LIBS_DOWNSTREAM_FIRST)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# A test links only its room and the rooms upstream of it, so a room's tests
# build while a downstream room is broken (tests/bench links everything).
upstream_of = $(if $(filter golden,$(1)),golden,$(if $(filter models,$(1)),models golden,$(if $(filter mapper,$(1)),mapper models golden,sim mapper models golden)))
test_libs = $(foreach r,$(call upstream_of,$(firstword $(subst /, ,$(1)))),$(call room_lib,$(r)))
# Keep test objects (they are intermediate files of the pattern chain).
.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $$(call test_libs,%)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(call test_libs,$*) $(TEST_LDLIBS) $(LDLIBS) -o $@
# Test-only code linked into the tests that use it: the ONNX protobuf reader
# (every test source that includes its header).
ONNX_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(shell grep -l 'tests/golden/onnx_pb.h' tests/*/test_*.c))
$(ONNX_TESTS): $(BUILD)/obj/tests/golden/onnx_pb.o

deps:
	@sh .ci/deps.sh

# -k: one broken room does not stop the other rooms' tests from building;
# tests/run.sh counts a test that failed to build as a failure.
build-tests: $(EINSIM) $(TEST_BINS)
build-bench: $(EINSIM) $(BENCH_BINS)

# The main job: FuseMax vs its baselines on a bundled model (see README).
run: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@sh experiments/default/run.sh $(EINSIM)

test: deps
	@rm -f $(BUILD)/build-failed
	@$(MAKE) --no-print-directory -k -j$(NPROC) build-tests || { echo "make test: some targets failed to build (counted below)"; mkdir -p $(BUILD); touch $(BUILD)/build-failed; }
	@$(MAKE) --no-print-directory -j$(NPROC) rtl || echo "make test: the RTL harnesses failed to build (counted below)"
	@sh tests/run.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) build-bench
	@sh tests/bench/run.sh $(BUILD)

# Every experiment, outputs under each experiments/*/out/ (untracked);
# UPDATE=1 also rewrites the tracked tables and plots beside them.
experiments: deps
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@sh experiments/fusemax-sim/run.sh $(if $(filter 1,$(UPDATE)),--update) $(CURDIR)/$(EINSIM)
	@sh experiments/dse/run.sh $(if $(filter 1,$(UPDATE)),--update) $(CURDIR)/$(EINSIM)
	@sh experiments/gpu-baseline/run.sh $(if $(filter 1,$(UPDATE)),--update) $(CURDIR)/$(EINSIM)
	@sh experiments/pimgpt/run.sh $(if $(filter 1,$(UPDATE)),--update) $(CURDIR)/$(EINSIM)
	@sh experiments/fusemax-dram/run.sh $(if $(filter 1,$(UPDATE)),--update) $(CURDIR)/$(EINSIM)
	@mkdir -p experiments/fusemax-model/out
	@sh experiments/fusemax-model/sweep.sh $(EINSIM) $(if $(filter 1,$(UPDATE)),experiments/fusemax-model,experiments/fusemax-model/out)

install: $(EINSIM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/einsim
	install -m 755 $(EINSIM) $(DESTDIR)$(PREFIX)/bin/einsim
	for kd in models:models arch:sim/arch energy:sim/energy cascades:mapper/cascades mappings:mapper/mappings dram:sim/dram; do \
	  k=$${kd%%:*}; d=$${kd#*:}; \
	  if [ -d $$d ]; then install -d $(DESTDIR)$(PREFIX)/share/einsim/$$k; \
	    find $$d -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.ein' \) -exec install -m 644 {} $(DESTDIR)$(PREFIX)/share/einsim/$$k/ \; ; fi; \
	done
	if [ -d build/share/einsim/data ]; then cp -r build/share/einsim/data $(DESTDIR)$(PREFIX)/share/einsim/; fi

clean:
	rm -rf build/bin build/lib build/obj build/tests build-san

include rtl/rtl.mk

-include $(ALL_OBJS:.o=.d) $(BUILD)/obj/sim/cli/main.d $(BUILD)/obj/tests/golden/onnx_pb.d $(TEST_BINS:$(BUILD)/tests/%=$(BUILD)/obj/tests/%.d)

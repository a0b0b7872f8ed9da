# rtl/rtl.mk: Verilator / SystemC / Yosys rules, included by the Makefile.
# Kept apart from the C11 library build: nothing here is compiled by `make`
# (all); `make test` builds `rtl` and runs tests/e2e/rtl.sh.
#
#   make rtl            Verilated harnesses (build/rtl/<unit>/harness)
#   make rtl-lint       verilator --lint-only -Wall on every module
#   make rtl-coverage   line and toggle coverage per unit (Verilator --coverage)
#   make rtl-area       Yosys synthesis on OSU 0.18 um cells -> sim/energy/rtl-area.yaml
#   make rtl-bench      RTL cycles/s, --sc and --cc (run by make bench)
#
# Each model is verilated and compiled once into $(BUILD)/rtl and rebuilt
# only when its RTL, its harness or the C libraries it links change; ccache
# is used when installed.

RTL_ROOT   := $(CURDIR)
RTL_OUT    := $(abspath $(BUILD))/rtl
VERILATOR  ?= verilator
RTL_OBJCACHE := $(shell command -v ccache 2>/dev/null)
# Size of the array the harness (and `einsim gemm --rtl array2d`) is built for.
RTL_ARRAY_R ?= 4
RTL_ARRAY_C ?= 6
RTL_FP      := rtl/fp32_add.sv rtl/bf16_mul.sv
RTL_ARRAY   := rtl/systolic_array.sv rtl/pe.sv $(RTL_FP)
RTL_VFLAGS  := -Wall --x-assign fast --x-initial fast
RTL_CFLAGS  := -std=gnu++17 -I$(RTL_ROOT) -I$(RTL_ROOT)/sim/sc $(SANFLAGS)
RTL_LIBS    := $(abspath $(LIBS_DOWNSTREAM_FIRST)) $(LDLIBS) $(SANFLAGS)
RTL_UNITS   := array2d softmax pim_mac

.PHONY: rtl rtl-lint rtl-coverage rtl-area rtl-bench

# $(call rtl_build,unit,mode(sc|cc),top,sources,harness.cpp,extra verilator flags,extra CFLAGS)
define rtl_build
	@mkdir -p $(RTL_OUT)/$(1)
	cd $(RTL_ROOT) && $(VERILATOR) --$(2) $(RTL_VFLAGS) $(6) $(4) --top-module $(3) \
	  --Mdir $(RTL_OUT)/$(1)/obj-$(2)$(8) --exe $(RTL_ROOT)/$(5) -CFLAGS "$(RTL_CFLAGS) $(7)" -o harness >/dev/null
	+$(MAKE) --no-print-directory -s -C $(RTL_OUT)/$(1)/obj-$(2)$(8) -f V$(3).mk OPT_FAST=-O2 \
	  OBJCACHE=$(RTL_OBJCACHE) USER_LDLIBS="$(RTL_LIBS)" >/dev/null
endef

RTL_ARRAY_DEFS := -DARRAY_R=$(RTL_ARRAY_R) -DARRAY_C=$(RTL_ARRAY_C)
RTL_ARRAY_G    := -GR=$(RTL_ARRAY_R) -GC=$(RTL_ARRAY_C)
RTL_ARRAY_DEPS := $(RTL_ARRAY) sim/sc/array_tb.cpp sim/sc/port_bits.h sim/sc/harness.h $(LIBS_DOWNSTREAM_FIRST)

$(RTL_OUT)/array2d/harness: $(RTL_ARRAY_DEPS)
	$(call rtl_build,array2d,sc,systolic_array,$(RTL_ARRAY),sim/sc/array_tb.cpp,$(RTL_ARRAY_G),$(RTL_ARRAY_DEFS))
	cp $(RTL_OUT)/array2d/obj-sc/harness $@.tmp && mv $@.tmp $@

rtl: $(RTL_OUT)/array2d/harness

rtl-lint:
	@for m in fp32_add:"rtl/fp32_add.sv" bf16_mul:"rtl/bf16_mul.sv" pe:"rtl/pe.sv $(RTL_FP)" \
	          systolic_array:"$(RTL_ARRAY)" softmax_online:"rtl/softmax_online.sv rtl/fp32_add.sv" \
	          pim_mac:"rtl/pim_mac.sv $(RTL_FP)"; do \
	  top=$${m%%:*}; src=$${m#*:}; \
	  if $(VERILATOR) --lint-only -Wall $$src --top-module $$top; then echo "lint ok   $$top"; \
	  else echo "lint FAIL $$top"; exit 1; fi; \
	done

RTL_SOFTMAX := rtl/softmax_online.sv rtl/fp32_add.sv
$(RTL_OUT)/softmax/harness: $(RTL_SOFTMAX) sim/sc/softmax_tb.cpp sim/sc/harness.h $(LIBS_DOWNSTREAM_FIRST)
	$(call rtl_build,softmax,sc,softmax_online,$(RTL_SOFTMAX),sim/sc/softmax_tb.cpp,,)
	cp $(RTL_OUT)/softmax/obj-sc/harness $@.tmp && mv $@.tmp $@

rtl: $(RTL_OUT)/softmax/harness

RTL_PIM := rtl/pim_mac.sv $(RTL_FP)
$(RTL_OUT)/pim_mac/harness: $(RTL_PIM) sim/sc/pim_tb.cpp sim/sc/port_bits.h sim/sc/harness.h $(LIBS_DOWNSTREAM_FIRST)
	$(call rtl_build,pim_mac,sc,pim_mac,$(RTL_PIM),sim/sc/pim_tb.cpp,,)
	cp $(RTL_OUT)/pim_mac/obj-sc/harness $@.tmp && mv $@.tmp $@

rtl: $(RTL_OUT)/pim_mac/harness

# ---- coverage: each harness rebuilt with --coverage, its sweep run, the
# points merged per module (any instance covering a point covers it).
RTL_COV_FLAGS := --coverage-line --coverage-toggle
$(RTL_OUT)/array2d/cov.dat: $(RTL_ARRAY_DEPS)
	$(call rtl_build,array2d,sc,systolic_array,$(RTL_ARRAY),sim/sc/array_tb.cpp,$(RTL_ARRAY_G) $(RTL_COV_FLAGS),$(RTL_ARRAY_DEFS),-cov)
	cd $(RTL_ROOT) && SC_COPYRIGHT_MESSAGE=DISABLE EINSIM_COVERAGE_FILE=$@.tmp $(RTL_OUT)/array2d/obj-sc-cov/harness sweep >/dev/null && mv $@.tmp $@
$(RTL_OUT)/softmax/cov.dat: $(RTL_SOFTMAX) sim/sc/softmax_tb.cpp sim/sc/harness.h $(LIBS_DOWNSTREAM_FIRST)
	$(call rtl_build,softmax,sc,softmax_online,$(RTL_SOFTMAX),sim/sc/softmax_tb.cpp,$(RTL_COV_FLAGS),,-cov)
	cd $(RTL_ROOT) && SC_COPYRIGHT_MESSAGE=DISABLE EINSIM_COVERAGE_FILE=$@.tmp $(RTL_OUT)/softmax/obj-sc-cov/harness sweep >/dev/null && mv $@.tmp $@
$(RTL_OUT)/pim_mac/cov.dat: $(RTL_PIM) sim/sc/pim_tb.cpp sim/sc/port_bits.h sim/sc/harness.h $(LIBS_DOWNSTREAM_FIRST)
	$(call rtl_build,pim_mac,sc,pim_mac,$(RTL_PIM),sim/sc/pim_tb.cpp,$(RTL_COV_FLAGS),,-cov)
	cd $(RTL_ROOT) && SC_COPYRIGHT_MESSAGE=DISABLE EINSIM_COVERAGE_FILE=$@.tmp $(RTL_OUT)/pim_mac/obj-sc-cov/harness sweep >/dev/null && mv $@.tmp $@

rtl-coverage: $(foreach u,$(RTL_UNITS),$(RTL_OUT)/$(u)/cov.dat)
	@python3 rtl/coverage.py $^

# ---- area: Yosys on the OSU 0.18 um liberty of Debian's qflow-tech-osu018
# (GPL data: fetched at build time with apt, extracted, never vendored).
RTL_LIB_SYS := /usr/share/qflow/tech/osu018/osu018_stdcells.lib
RTL_LIB     := $(if $(wildcard $(RTL_LIB_SYS)),$(RTL_LIB_SYS),$(RTL_OUT)/techlib/usr/share/qflow/tech/osu018/osu018_stdcells.lib)
$(RTL_OUT)/techlib/usr/share/qflow/tech/osu018/osu018_stdcells.lib:
	@mkdir -p $(RTL_OUT)/techlib
	cd $(RTL_OUT)/techlib && rm -f qflow-tech-osu018_*.deb && apt-get download qflow-tech-osu018 && \
	  dpkg-deb -x qflow-tech-osu018_*.deb .
	@test -f $@ || { echo "rtl-area: $@ not in qflow-tech-osu018" >&2; exit 1; }

RTL_AREA_UNITS := pe array2d softmax pim_mac fp32_add bf16_mul
RTL_AREA_SRC_pe       := rtl/pe.sv $(RTL_FP)
RTL_AREA_SRC_array2d  := $(RTL_ARRAY)
RTL_AREA_SRC_softmax  := $(RTL_SOFTMAX)
RTL_AREA_SRC_pim_mac  := $(RTL_PIM)
RTL_AREA_SRC_fp32_add := rtl/fp32_add.sv
RTL_AREA_SRC_bf16_mul := rtl/bf16_mul.sv
$(RTL_OUT)/area/%.stat: $$(RTL_AREA_SRC_$$*) rtl/area.sh | $(RTL_LIB)
	@mkdir -p $(dir $@)
	RTL_ARRAY_R=$(RTL_ARRAY_R) RTL_ARRAY_C=$(RTL_ARRAY_C) sh rtl/area.sh unit $* $(RTL_LIB) $@

rtl-area: $(foreach u,$(RTL_AREA_UNITS),$(RTL_OUT)/area/$(u).stat)
	sh rtl/area.sh yaml $(RTL_LIB) sim/energy/rtl-area.yaml $^
	@cat sim/energy/rtl-area.yaml

# ---- speed: the same harnesses built with --cc (plain C++ top, no SystemC
# kernel) beside the --sc ones (make bench runs tests/bench/bench_rtl.sh).
$(RTL_OUT)/array2d/harness-cc: $(RTL_ARRAY_DEPS)
	$(call rtl_build,array2d,cc,systolic_array,$(RTL_ARRAY),sim/sc/array_tb.cpp,$(RTL_ARRAY_G),$(RTL_ARRAY_DEFS))
	cp $(RTL_OUT)/array2d/obj-cc/harness $@.tmp && mv $@.tmp $@
$(RTL_OUT)/softmax/harness-cc: $(RTL_SOFTMAX) sim/sc/softmax_tb.cpp sim/sc/harness.h $(LIBS_DOWNSTREAM_FIRST)
	$(call rtl_build,softmax,cc,softmax_online,$(RTL_SOFTMAX),sim/sc/softmax_tb.cpp,,)
	cp $(RTL_OUT)/softmax/obj-cc/harness $@.tmp && mv $@.tmp $@
$(RTL_OUT)/pim_mac/harness-cc: $(RTL_PIM) sim/sc/pim_tb.cpp sim/sc/port_bits.h sim/sc/harness.h $(LIBS_DOWNSTREAM_FIRST)
	$(call rtl_build,pim_mac,cc,pim_mac,$(RTL_PIM),sim/sc/pim_tb.cpp,,)
	cp $(RTL_OUT)/pim_mac/obj-cc/harness $@.tmp && mv $@.tmp $@

rtl-bench: rtl $(foreach u,$(RTL_UNITS),$(RTL_OUT)/$(u)/harness-cc)
	@for v in harness harness-cc; do \
	  SC_COPYRIGHT_MESSAGE=DISABLE $(RTL_OUT)/array2d/$$v bench os 64 66 64; \
	  SC_COPYRIGHT_MESSAGE=DISABLE $(RTL_OUT)/array2d/$$v bench ws 64 66 64; \
	  SC_COPYRIGHT_MESSAGE=DISABLE $(RTL_OUT)/softmax/$$v bench 256 40; \
	  SC_COPYRIGHT_MESSAGE=DISABLE $(RTL_OUT)/pim_mac/$$v bench 64 200; \
	done

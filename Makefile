# SPDX-License-Identifier: GPL-2.0
# migrate_offload: page-migration copy offload for Linux.
#
#   make demo            build what is needed, boot the VM, migrate pages
#   make check           build everything and run all tests in the VM
#   make kernel          the patched test kernel (kernel/build-kernel); the
#                        engine in-tree, or MIGOFF_ENGINE=out-of-tree
#   make modules         out-of-tree modules for it (build/modules-kernel-test);
#                        with KDIR=/lib/modules/$(uname -r)/build, for that
#                        kernel (build/modules-RELEASE), and modules_install
#   make lib tools       libmigoffload, migoffloadctl, benchmarks (host only)
#   make install         library, CLI, systemd units, default configuration
#   make deb             Debian packages in build/deb (packaging/build-deb)
#   make selftests       selftest binaries (build/selftests)
#   make bench           every migrator by folio size, and the batch cap sweep
#   make bench-baseline  6.12 without vs with the series: idle, engine loaded,
#                        move_pages routed to the engine's CPU copy
#   make series          the complete series for linux-mm in build/series
#   make series-check    every prefix of it builds (option on), and all of it
#                        with the option off
#   make checkpatch      scripts/checkpatch.pl --strict on patches and modules
#   make sparse          sparse and W=1 over the modules
#   make layers          the module's files call each other one way only
#
# Build trees and ccache live under $(MIGOFF_CACHE) (~/.cache/migrate_offload);
# build/ holds links to them and everything else that is built.

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build

all: kernel modules selftests lib tools

# The library and the tools need a compiler, make, pkg-config, libmnl and
# libnuma, nothing else: this only checks them (one line if one is missing).
build-deps:
	@tools/install-deps --check build

lib: build-deps
	$(MAKE) -s -C libmigoffload OUT=$(B)/lib

tools: lib
	$(MAKE) -s -C tools/migoffloadctl OUT=$(B)
	$(MAKE) -s -C tools/bench OUT=$(B)/bench
	$(MAKE) -s -C tools/examples OUT=$(B)
	$(MAKE) -s -C tools/demo OUT=$(B)

# Host-side unit tests of the library (AddressSanitizer), of migoffloadctl,
# of make install, of the Kbuild guard, of build-kernel's patch step and of
# the series make-series writes.
unit: lib tools
	$(MAKE) -s -C libmigoffload OUT=$(B)/lib test
	@python3 -B tools/bench/test_stats.py -q
	@packaging/test/install_test.sh
	@kernel/test/kbuild_guard_test.sh
	@kernel/test/patch_step_test.sh
	@kernel/test/series_test.sh
	@tools/lint-tests --self-test && tools/lint-tests
	@tools/check-layers --self-test && tools/check-layers

# The files of migrate_offload.ko call each other one way (migoff_core.c).
layers:
	@tools/check-layers

deps:
	@tools/install-deps

kernel: deps
	@kernel/build-kernel --flavour=test

# Out-of-tree modules, built in a copy so the source tree stays clean. A
# kernel built with the engine in-tree (MIGOFF_ENGINE=in-tree, the default)
# gets only the test modules built here (the Kbuild says why); its own
# engine, mtcopy, dcbm and KUnit modules join them, so that the tests load
# one directory either way.
# $(1): kernel build name (kernel-test, kernel-bench)
engine_in_tree = grep -q '^CONFIG_MIGRATE_OFFLOAD=m' $(B)/$(1)/.config
define build_modules
	@mkdir -p $(B)/modules-$(1)
	@cp kernel/migrate_offload/Kbuild kernel/migrate_offload/*.[ch] $(B)/modules-$(1)/
	$(MAKE) -s -C $(B)/$(1) M=$(B)/modules-$(1) MIGOFF_UAPI=$(TOP)/uapi W=1 modules
	@if $(call engine_in_tree,$(1)); then \
		kos="$$(ls $(B)/$(1)/drivers/migrate_offload/*.ko $(B)/$(1)/drivers/dma/migoff_dcbm.ko)" && \
		cp $$kos $(B)/modules-$(1)/ && \
		echo "modules: $(1): engine in-tree ($$(basename -a $$kos | tr '\n' ' '))"; \
	else echo "modules: $(1): engine out of tree"; fi
endef

# With KDIR (a kernel build tree, e.g. /lib/modules/$(uname -r)/build from
# the headers of a kernel built with the series): the modules for that
# kernel, in build/modules-RELEASE; modules_install installs them (as root)
# into /lib/modules/RELEASE/updates and runs depmod. Without KDIR: the
# test kernel's, as before.
ifeq ($(KDIR),)
modules: kernel
	$(call build_modules,kernel-test)

modules_install:
	@echo "make modules_install: needs KDIR=/lib/modules/RELEASE/build (the test kernel's modules are loaded from build/, never installed)" >&2; exit 2
else
# The release as uname -r says it (Debian's headers have another one in
# include/config/kernel.release).
KREL := $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
KMOD := $(B)/modules-$(KREL)
modules:
	@test -n "$(KREL)" || { echo "make modules: $(KDIR) is not a prepared kernel build tree (no include/generated/utsrelease.h): install that kernel's headers package, or build the kernel there first" >&2; exit 1; }
	@mkdir -p $(KMOD)
	@cp kernel/migrate_offload/Kbuild kernel/migrate_offload/*.[ch] $(KMOD)/
	$(MAKE) -s -C $(KDIR) M=$(KMOD) MIGOFF_UAPI=$(TOP)/uapi modules
	@echo "modules: built for $(KREL) in $(KMOD)"

modules_install:
	@test -n "$(KREL)" -a -e $(KMOD)/migrate_offload.ko || { echo "make modules_install: nothing built for KDIR=$(KDIR): run 'make modules KDIR=$(KDIR)' first (as your user)" >&2; exit 1; }
	$(MAKE) -s -C $(KDIR) M=$(KMOD) MIGOFF_UAPI=$(TOP)/uapi INSTALL_MOD_PATH=$(DESTDIR) modules_install
	@echo "modules_install: $(KREL): $$(cd $(KMOD) && ls *.ko | tr '\n' ' ')"
endif

selftests: kernel
	$(MAKE) -s -C selftests KSRC=$(B)/kernel-test.src KHDR=$(B)/kernel-test/usr/include \
		OUT=$(B)/selftests

check: all unit
	@selftests/check $(B)/selftests $(B)/modules-kernel-test

demo: kernel modules tools
	@tools/vm/run-vm --topology=tiered --out=$(B)/demo -- tools/demo/demo-in-vm \
		$(B)/modules-kernel-test $(B)/bench $(B)/bin

# Every migrator, every folio size, and the batch cap sweep in one boot of
# the bench kernel (no debug options), nproc/2 CPUs per node: vCPUs never outnumber host cores.
BENCH_TOTAL ?= 64
BENCH_ROUNDS ?= 15
BENCH_TIER_ROUNDS ?= 9
bench: deps tools
	@kernel/build-kernel --flavour=bench
	$(call build_modules,kernel-bench)
	@tools/vm/run-vm --kernel=$(B)/kernel-bench --cpus-per-node=$$(( $$(nproc) / 2 > 1 ? $$(nproc) / 2 : 1 )) --timeout=14400 --out=$(B)/bench-results \
		-- tools/bench/bench-in-vm $(B)/modules-kernel-bench $(B)/bench/move_bench \
		$(BENCH_TOTAL) $(BENCH_ROUNDS) $(B)/bin/migoffloadctl > $(B)/bench-results.log 2>&1 || \
		{ tail -30 $(B)/bench-results.log; exit 1; }
	@tools/vm/run-vm --kernel=$(B)/kernel-bench --accel=icount --timeout=7200 --out=$(B)/bench-results \
		-- tools/bench/cost-in-vm $(B)/modules-kernel-bench $(B)/bench/move_bench 32 \
		> $(B)/bench-cost.log 2>&1 || { tail -30 $(B)/bench-cost.log; exit 1; }
	@tools/vm/run-vm --kernel=$(B)/kernel-bench --topology=tiered --timeout=7200 \
		--out=$(B)/bench-results -- tools/bench/tier-in-vm $(B)/modules-kernel-bench \
		$(B)/bench/tier_bench $(BENCH_TOTAL) $(BENCH_TIER_ROUNDS) \
		> $(B)/bench-tier.log 2>&1 || { tail -30 $(B)/bench-tier.log; exit 1; }
	@tools/bench/report $(B)/bench-results

# The baseline carries patch 0001 only: vanilla 6.12 splits mTHPs on their
# second migration and leaves pages behind (see 0001).
bench-baseline: deps tools
	@kernel/build-kernel --flavour=bench --upto=1
	@kernel/build-kernel --flavour=bench
	$(call build_modules,kernel-bench)
	@tools/bench/baseline $(B)/bench/move_bench $(B)/modules-kernel-bench 64 3 2

# The complete series (mm patches, then the engine added to the tree) in
# build/series, checked with checkpatch --strict.
series:
	@kernel/make-series --checkpatch

# Every prefix of the series builds with the option on, the whole series
# with it off (kernel/check-series; 13 minutes on 2 cores with a warm
# ccache, not in check).
series-check:
	@kernel/check-series

# checkpatch --strict on the series (make series) and on the out-of-tree
# sources as they are (the test modules are in no patch).
checkpatch: series kernel
	@cd $(B)/kernel-test.src && PATH=/usr/bin:$$PATH ./scripts/checkpatch.pl --strict -q \
		--no-tree -f $(TOP)/kernel/migrate_offload/*.[ch]
	@echo "checkpatch: clean"

# sparse (C=2) and W=1 over the modules.
sparse: modules
	$(MAKE) -s -C $(B)/kernel-test M=$(B)/modules-kernel-test MIGOFF_UAPI=$(TOP)/uapi \
		W=1 C=2 modules
	@if $(call engine_in_tree,kernel-test); then \
		$(MAKE) -s -C $(B)/kernel-test W=1 C=2 drivers/migrate_offload/ drivers/dma/migoff_dcbm.o; fi
	@echo "sparse: clean"

clean:
	rm -rf $(B)

# What is built for the host, and nothing else (no QEMU, no kernel source):
# the library (ldconfig after an install into a system prefix), the CLI,
# its completion and man page, the systemd units and the default
# configuration (kept if present). PREFIX (/usr/local), DESTDIR, and the
# directories of libmigoffload/Makefile and tools/migoffloadctl/Makefile.
install: lib tools
	$(MAKE) -s -C libmigoffload OUT=$(B)/lib install
	$(MAKE) -s -C tools/migoffloadctl OUT=$(B) install

# The bare-metal benchmarks (move_bench, tier_bench, stats.py, report) in
# $(PREFIX)/libexec/migoffload; the Debian package ships them.
install-bench: tools
	$(MAKE) -s -C tools/bench OUT=$(B)/bench install

# Debian packages of everything but the kernel (libmigoffload2,
# libmigoffload-dev, migoffloadctl, migrate-offload-dkms), all of the
# version in the file VERSION (the library's ABI version, soname 2, is
# libmigoffload/Makefile's), in build/deb, built out of tree by
# dpkg-buildpackage, then checked by lintian. A kernel package step (bindeb-pkg) would be one more
# prerequisite writing to the same directory.
deb:
	@tools/install-deps build deb
	@packaging/build-deb $(B)/deb

# The kernel with the series, packaged by its own bindeb-pkg (linux-image,
# linux-headers) in build/deb/kernel-server: base.config's small server
# configuration with LOCALVERSION=-migoff, or KCONFIG=FILE (e.g.
# /boot/config-$$(uname -r)) with the series' option merged in.
deb-kernel: deps
	@kernel/build-kernel --flavour=server --deb

.PHONY: all lib tools unit layers install install-bench deps build-deps kernel modules modules_install \
	series series-check \
	selftests check demo bench bench-baseline checkpatch sparse clean deb deb-kernel

# nubis: a thin layer over Meson + Ninja.  See README.md.
#
#   make            release build: build/nubis
#   make run        install what is missing, build, bootstrap once, serve
#   make test       sanitizer build (build-test/) + every suite (tests/run-all.sh)
#   make sample     regenerate etc/nubis.conf.sample
#   make clean

STATE      ?= state
LISTEN     ?= 127.0.0.1:8080
CONFIG     ?=
BUILD      ?= build
TEST_BUILD ?= build-test

# Debian packages.  Test suites may list more in tests/<suite>/packages or
# bench/packages (one name a line); `make test` installs those too.
BUILD_PKGS = meson ninja-build gcc pkg-config libc6-dev libmicrohttpd-dev \
             libjansson-dev libsqlite3-dev libpq-dev libsodium-dev libssl-dev \
             uuid-dev libinih-dev zlib1g-dev libbz2-dev
BUILD_PKGS += libvirt-dev
RUN_PKGS   = python3-openstackclient python3-swiftclient dnsmasq-base dnsmasq-utils nftables \
             iproute2 conntrack
# the libvirt virt driver (libvirt's embedded QEMU driver, qemu-img, and
# genisoimage for config drives)
VIRT_PKGS  = libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils genisoimage
RUN_PKGS  += $(VIRT_PKGS)
TEST_PKGS  = libcmocka-dev postgresql-15 postgresql-client-15 \
             python3-openstackclient python3-requests curl jq wrk procps iproute2
SUITE_PKG_FILES = $(wildcard tests/*/packages bench/packages)

NUBIS      = $(BUILD)/nubis
TEST_OPTS  = -Dbuildtype=debug -Db_sanitize=address,undefined -Dstrict=true -Dtests=true
RUN_ARGS   = --state-dir $(STATE) --listen $(LISTEN) $(if $(CONFIG),--config $(CONFIG))

.PHONY: all build deps deps-run deps-test run test sample clean

all: build

deps:
	@tests/lib/deps.sh $(BUILD_PKGS)

deps-run: deps
	@tests/lib/deps.sh $(RUN_PKGS)
	@tests/lib/libvirt-user.sh

deps-test: deps
	@tests/lib/deps.sh $(TEST_PKGS)
	@tests/lib/deps.sh -f $(SUITE_PKG_FILES)
	@tests/lib/deps.sh $(VIRT_PKGS)
	@tests/lib/libvirt-user.sh

# meson setup DIR OPTS, or meson configure DIR OPTS when DIR exists (so a
# directory set up by hand gets the options back), quietly: the log is shown
# only if it fails.
define meson_setup
	@log=$$(mktemp); \
	 if [ -f $(1)/build.ninja ]; then meson configure $(1) $(2) >$$log 2>&1; \
	 else meson setup $(1) $(2) >$$log 2>&1; fi || { cat $$log; rm -f $$log; exit 1; }; \
	 rm -f $$log
endef

# ninja -C DIR, printing only errors (warnings are errors: -Werror).
define ninja_build
	@out=$$(ninja -C $(1) --quiet 2>&1) || { echo "$$out"; exit 1; }
endef

build: deps
	$(call meson_setup,$(BUILD),-Dbuildtype=release)
	$(call ninja_build,$(BUILD))

# First run: a random admin password, kept in $(STATE)/admin-password by
# bootstrap.  Every run: bootstrap again with it (idempotent; it also points
# the catalog at the current LISTEN), then a fresh openrc.
run: deps-run build
	@mkdir -p $(STATE) && chmod 700 $(STATE)
	@if [ -s $(STATE)/admin-password ]; then pw=$$(cat $(STATE)/admin-password); \
	 else pw=$$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24); fi; \
	 $(NUBIS) bootstrap $(RUN_ARGS) --admin-password "$$pw" >$(STATE)/bootstrap.log 2>&1 || \
	 { cat $(STATE)/bootstrap.log; exit 1; }
	@umask 077 && $(NUBIS) openrc $(RUN_ARGS) >$(STATE)/openrc
	@echo "nubis: identity (Keystone v3) at $$(sed -n 's/^export OS_AUTH_URL=//p' $(STATE)/openrc)"
	@echo "nubis: for the openstack CLI:  . $(abspath $(STATE))/openrc && openstack token issue"
	@echo "nubis: serving in the foreground (Ctrl-C stops)"
	@exec $(NUBIS) serve $(RUN_ARGS)

test: deps-test build
	$(call meson_setup,$(TEST_BUILD),$(TEST_OPTS))
	$(call ninja_build,$(TEST_BUILD))
	@tests/run-all.sh $(TEST_BUILD)

sample: build
	@$(NUBIS) config-sample >etc/nubis.conf.sample
	@echo "wrote etc/nubis.conf.sample"

clean:
	rm -rf $(BUILD) $(TEST_BUILD)

# j1-npm — build, test, demo, benchmark.
#
#   make            build bin/j1-npm-collect (and the other programs as they land)
#   make demo       run the pipeline on the bundled fixture org (local fake servers)
#   make test       unit + integration tests, on the release build and under ASan+UBSan
#   make bench      benchmarks, printing figures side by side
#   make deps       install missing Debian packages (apt-get; run as root)
#   make install PREFIX=/usr/local   (DESTDIR honoured) / make uninstall
#   make man        the man pages, from man/*.1.in and each program's --help
#   make dist       $(BUILD)/dist/j1-npm-VERSION-linux-ARCH.tar.gz, with SHA256SUMS
#   make deb        $(BUILD)/dist/j1-npm_VERSION_ARCH.deb (dpkg-deb, dpkg-shlibdeps)
#   make format / make lint
#   make fuzz       build the libFuzzer targets (clang) and run each FUZZ_SECONDS (10)
#
# `test`, `demo` and `bench` depend on `deps`, so on a fresh machine each of
# them does all the set-up.

PREFIX   ?= /usr/local
CC       ?= cc
PKGS     := libcurl zlib
SAN      ?=

ifeq ($(SAN),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT      := -O1
else
BUILD    := build/rel
SANFLAGS :=
OPT      := -O2
endif
BIN      := $(BUILD)/bin
V        ?=
Q        := $(if $(V),,@)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcurl -lz)

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wpointer-arith -Wundef
CPPFLAGS += -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -Icommon
CFLAGS   += -std=c11 $(OPT) -g -pthread $(WARN) $(SANFLAGS) $(PKG_CFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -pthread

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libj1npm.a

PROGRAMS   := collect transform upload
PROGRAM_BINS := $(PROGRAMS:%=$(BIN)/j1-npm-%)

UNIT_SRC   := $(wildcard tests/unit/*.c)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   := $(BUILD)/unit-tests
# The unit tests also link the programs' own modules (all but their main.c).
PROG_OBJ   := $(filter-out %/main.o,$(foreach p,$(PROGRAMS),$(patsubst %.c,$(BUILD)/%.o,$(wildcard $(p)/*.c))))
# A unit test names a program's header with its directory ("transform/access.h"):
# two programs may hold headers of the same name.
$(UNIT_OBJ): CPPFLAGS += -I.

.PHONY: all bin-links deps test unit integration demo bench install uninstall man dist deb \
        format lint clean fuzz fuzz-build fuzz-replay

all: $(PROGRAM_BINS) bin-links

# bin/ always holds the plain (non-sanitizer) build, for people and the demo.
bin-links: $(PROGRAM_BINS)
ifneq ($(SAN),1)
	@mkdir -p bin
	@for p in $(PROGRAMS); do ln -sf ../$(BIN)/j1-npm-$$p bin/j1-npm-$$p; done
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

# One link rule per program: <prog>/*.c + the library.
define program_rule
$(BIN)/j1-npm-$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c)) $(LIB)
	@mkdir -p $(BIN)
	@$(if $(V),,echo "  LINK    $$@")
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(UNIT_BIN): $(UNIT_OBJ) $(PROG_OBJ) $(LIB)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- fuzzing ----------------------------------------------------------------
# One libFuzzer target per parser of untrusted bytes: fuzz/<target>.c (see
# fuzz/README.md). `make fuzz` builds them with clang and
# -fsanitize=fuzzer,address,undefined (everything instrumented) under
# build/fuzz/ and runs each for FUZZ_SECONDS; `make test` builds the same
# entry functions with $(CC) and fuzz/replay.c's main() and replays the seed
# corpora and every input that ever crashed (fuzz/crashes/).
FUZZ_TARGETS := json_validate json_jdoc json_members ndjson npmrc url dates redact repo \
                packument transform graphobj upload_stream upload_graphdir attest semver
FUZZ_SECONDS ?= 10
FUZZ_JOBS    ?= 1
FUZZ_CC      ?= clang
FUZZ_HELPERS := fuzz/fuzz.c fuzz/pipeline.c
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -O1 -g -pthread $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral \
                -Wno-missing-field-initializers $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(PKG_CFLAGS)
FUZZ_LIBOBJ  := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(COMMON_SRC) $(filter-out %/main.c,$(foreach p,$(PROGRAMS),$(wildcard $(p)/*.c))) $(FUZZ_HELPERS))

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $< (fuzz)")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -I. $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/bin/fuzz-%: $(FUZZ_BUILD)/fuzz/%.o $(FUZZ_LIBOBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Keep the objects make would see as intermediate (a rebuild then relinks only).
# -Werror stays with the normal build: clang warns where gcc does not.
.SECONDARY: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/%.o) $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%.o) $(FUZZ_LIBOBJ)

fuzz-build:
	@fuzz/deps.sh $(FUZZ_CC)
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/bin/fuzz-%)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_BIN=$(FUZZ_BUILD)/bin fuzz/run.sh $(FUZZ_RUN)

# The replay build: the same entry functions, the normal compiler.
FUZZ_REPLAY_OBJ := $(patsubst %.c,$(BUILD)/%.o,fuzz/replay.c $(FUZZ_HELPERS))
$(FUZZ_TARGETS:%=$(BUILD)/fuzz/%.o) $(FUZZ_REPLAY_OBJ): CPPFLAGS += -I.
$(BUILD)/fuzz/replay-%: $(BUILD)/fuzz/%.o $(FUZZ_REPLAY_OBJ) $(PROG_OBJ) $(LIB)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay-%)

fuzz-replay: $(FUZZ_REPLAY_BINS)
	@J1NPM_FUZZ_REPLAY=$(BUILD)/fuzz J1NPM_FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz/replay.sh

deps:
	@scripts/deps.sh

# `make test` runs the whole suite twice: on the release build, then on the
# ASan+UBSan build (leaks on), so CI (which runs exactly `make test`) holds
# both. `make SAN=1 test` runs only the second; J1NPM_NO_SAN=1 skips it.
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(FUZZ_REPLAY_BINS)
	@J1NPM_BIN=$(BIN) J1NPM_UNIT=$(UNIT_BIN) J1NPM_SAN=$(SAN) J1NPM_FUZZ_REPLAY=$(BUILD)/fuzz \
	  J1NPM_FUZZ_TARGETS="$(FUZZ_TARGETS)" scripts/run-tests.sh
ifneq ($(SAN),1)
ifneq ($(J1NPM_NO_SAN),1)
	@echo "== the same suite under ASan+UBSan (make SAN=1 test)"
	@$(MAKE) --no-print-directory SAN=1 test
endif
endif

unit: $(UNIT_BIN)
	$(UNIT_BIN)

demo: deps
	@$(MAKE) --no-print-directory all
	@J1NPM_BIN=$(BIN) scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@J1NPM_BIN=$(BIN) scripts/bench.py

# ---- install, man pages, packages -------------------------------------------
# What `make install` puts under $(DESTDIR)$(PREFIX), and nothing else (so
# `make uninstall` removes exactly these files; the directories stay, as
# they may hold other programs' files): the stripped programs, their man
# pages and the bash completion, once per program name (bash-completion
# loads completions/<command>). `make dist` and `make deb` are this same
# install into a staging directory, plus the README (and, for the .deb,
# the copyright file, the man pages gzipped and the control file).
#
# VERSION is the programs' own (J1NPM_VERSION in common/cli.h, what
# --version prints). ARCH is Debian's name for the machine
# (`dpkg --print-architecture`: amd64, arm64), or `uname -m` where dpkg is
# absent. The man pages' date and the tarball's file times are
# SOURCE_DATE_EPOCH (default: the last commit's time), so the same tree
# packs into the same bytes.
VERSION    := $(shell sed -n 's/^\#define J1NPM_VERSION "\(.*\)"$$/\1/p' common/cli.h)
ARCH        = $(shell dpkg --print-architecture 2>/dev/null || uname -m)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
MAN_DATE    = $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%d)
STRIP      ?= strip
MAN_PAGES  := $(PROGRAMS:%=$(BUILD)/man/j1-npm-%.1)
COMPLETION := packaging/j1-npm.bash
MAN1DIR    := $(PREFIX)/share/man/man1
COMPDIR    := $(PREFIX)/share/bash-completion/completions
DIST_DIR   := $(BUILD)/dist
DIST_NAME   = j1-npm-$(VERSION)-linux-$(ARCH)
DEB_NAME    = j1-npm_$(VERSION)_$(ARCH)

man: $(MAN_PAGES)

$(BUILD)/man/j1-npm-%.1: man/j1-npm-%.1.in man/gen.sh $(BIN)/j1-npm-%
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  MAN     $@")
	$(Q)man/gen.sh $< $(BIN)/j1-npm-$* $(VERSION) $(MAN_DATE) >$@.tmp && mv $@.tmp $@

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(COMPDIR)
	for p in $(PROGRAMS); do \
	  install -m 0755 -s --strip-program=$(STRIP) $(BIN)/j1-npm-$$p $(DESTDIR)$(PREFIX)/bin/ && \
	  install -m 0644 $(BUILD)/man/j1-npm-$$p.1 $(DESTDIR)$(MAN1DIR)/ && \
	  install -m 0644 $(COMPLETION) $(DESTDIR)$(COMPDIR)/j1-npm-$$p || exit 1; \
	done

uninstall:
	for p in $(PROGRAMS); do \
	  rm -f $(DESTDIR)$(PREFIX)/bin/j1-npm-$$p $(DESTDIR)$(MAN1DIR)/j1-npm-$$p.1 \
	        $(DESTDIR)$(COMPDIR)/j1-npm-$$p; \
	done

# The tarball: DIST_NAME/{bin,share,README.md,SHA256SUMS}, a prefix of its
# own (run bin/ in place, or copy bin/ and share/ under /usr/local).
# SHA256SUMS names every other file relative to DIST_NAME/, for
# `sha256sum -c SHA256SUMS` there.
dist: all man
	@rm -rf $(DIST_DIR)/$(DIST_NAME)
	@$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DIST_DIR)/$(DIST_NAME)) PREFIX= >/dev/null
	@install -m 0644 README.md $(DIST_DIR)/$(DIST_NAME)/
	@cd $(DIST_DIR)/$(DIST_NAME) && find . -type f ! -path ./SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | \
	  xargs sha256sum >SHA256SUMS
	@tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
	  --mode=u+rw,go+rX,go-w -C $(DIST_DIR) -cf - $(DIST_NAME) | gzip -9n >$(DIST_DIR)/$(DIST_NAME).tar.gz.tmp
	@mv $(DIST_DIR)/$(DIST_NAME).tar.gz.tmp $(DIST_DIR)/$(DIST_NAME).tar.gz
	@echo "dist: $(DIST_DIR)/$(DIST_NAME).tar.gz"

# The Debian package: the install under /usr, then packaging/deb.sh (the
# control file, Depends from dpkg-shlibdeps, dpkg-deb). dpkg-dev is
# installed when missing (dpkg-shlibdeps).
deb: all man
	@DEPS_FOR="make deb" scripts/deps.sh dpkg-dev
	@rm -rf $(DIST_DIR)/deb
	@$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DIST_DIR)/deb) PREFIX=/usr >/dev/null
	@gzip -9n $(DIST_DIR)/deb/usr/share/man/man1/*.1
	@install -d $(DIST_DIR)/deb/usr/share/doc/j1-npm
	@install -m 0644 README.md packaging/copyright $(DIST_DIR)/deb/usr/share/doc/j1-npm/
	@SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) packaging/deb.sh $(DIST_DIR)/deb $(VERSION) $(ARCH) $(DIST_DIR)/$(DEB_NAME).deb
	@echo "deb: $(DIST_DIR)/$(DEB_NAME).deb"

format:
	clang-format -i common/*.[ch] $(PROGRAMS:%=%/*.[ch]) tests/unit/*.[ch] fuzz/*.[ch]

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -I common common $(PROGRAMS) tests/unit
	clang-tidy --quiet $(COMMON_SRC) $(wildcard $(PROGRAMS:%=%/*.c)) -- $(CPPFLAGS) -std=c11 $(PKG_CFLAGS)

clean:
	rm -rf build bin

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/tests/*/*.d $(FUZZ_BUILD)/*/*.d)

# j1-npm — build, test, demo, benchmark.
#
#   make            build bin/j1-npm-collect (and the other programs as they land)
#   make demo       run the pipeline on the bundled fixture org (local fake servers)
#   make test       unit + integration tests, on the release build and under ASan+UBSan
#   make bench      benchmarks, printing figures side by side
#   make deps       install missing Debian packages (apt-get; run as root)
#   make install PREFIX=/usr/local
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

.PHONY: all bin-links deps test unit integration demo bench install format lint clean fuzz \
        fuzz-build fuzz-replay

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
                packument transform graphobj upload_stream upload_graphdir
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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	for p in $(PROGRAMS); do install -m 0755 $(BIN)/j1-npm-$$p $(DESTDIR)$(PREFIX)/bin/; done

format:
	clang-format -i common/*.[ch] $(PROGRAMS:%=%/*.[ch]) tests/unit/*.[ch] fuzz/*.[ch]

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -I common common $(PROGRAMS) tests/unit
	clang-tidy --quiet $(COMMON_SRC) $(wildcard $(PROGRAMS:%=%/*.c)) -- $(CPPFLAGS) -std=c11 $(PKG_CFLAGS)

clean:
	rm -rf build bin

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/tests/*/*.d $(FUZZ_BUILD)/*/*.d)

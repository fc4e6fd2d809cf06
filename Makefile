# nyckel — one Makefile for the daemon, the clients, the tests and the demo.
# `make demo` and `make check` install what is missing (Debian packages),
# build and run; see README.md.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=
OPT     ?= -O2 -g
V       ?=

ifeq ($(V),)
Q := @
else
Q :=
endif

# Debian packages the build, the tests and the demo need.
DEB_PKGS := libzmq3-dev libprotobuf-c-dev protobuf-c-compiler liblmdb-dev \
            lmdb-utils pkg-config libcmocka-dev libjansson-dev libcsv-dev jq python3 \
            libsystemd-dev systemd help2man groff-base libmicrohttpd-dev libinih-dev
PKGS     := libzmq lmdb libprotobuf-c jansson
# Only nyckeld talks to systemd (daemon/notify.c, sd_notify): libsystemd
# goes into its link alone, not into the clients' and tests'.
DAEMON_CFLAGS := $(shell pkg-config --cflags libsystemd 2>/dev/null)
DAEMON_LIBS   := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
# Nor does anything but nyckeld serve HTTP (daemon/metrics_http.c, the
# Prometheus endpoint): libmicrohttpd likewise.
MHD_CFLAGS  := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
DAEMON_LIBS += $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
# Only daemon/config.c reads INI files (libinih, --config): into nyckeld's
# link and test_config's, not the clients'.
CONFIG_CFLAGS := $(shell pkg-config --cflags inih 2>/dev/null)
CONFIG_LIBS   := $(shell pkg-config --libs inih 2>/dev/null || echo -linih)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wpointer-arith -Wwrite-strings -Wformat=2 \
        -Wvla -fno-common
CFLAGS_ALL := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) \
        $(WARN) -MMD -MP -Idaemon -Iinclude -I$(BUILD)/gen \
        $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS_ALL := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm $(LDLIBS)

ifeq ($(SAN),1)
CFLAGS_ALL += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=address,undefined
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)
CFLAGS_ALL += -DNYCKEL_VERSION=\"$(VERSION)\"

GEN_C   := $(BUILD)/gen/nyckel.pb-c.c
GEN_H   := $(BUILD)/gen/nyckel.pb-c.h
GEN_O   := $(BUILD)/obj/gen/nyckel.pb-c.o

DAEMON_SRCS := $(wildcard daemon/*.c)
DAEMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(DAEMON_SRCS))
CORE_OBJS   := $(filter-out $(BUILD)/obj/daemon/main.o,$(DAEMON_OBJS)) $(GEN_O)

LIB_SRCS := $(wildcard clients/lib/*.c)
# daemon/keyfile.c (CURVE key files) is shared as it is with libnyckel.
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(GEN_O) \
            $(BUILD)/obj/daemon/keyfile.o

CLIENT_SRCS := $(wildcard clients/nyckel-*.c)
CLIENTS     := $(patsubst clients/%.c,$(BUILD)/%,$(CLIENT_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
IT_TOOL_SRCS := $(wildcard tests/it/*.c)
IT_TOOLS     := $(patsubst tests/it/%.c,$(BUILD)/tests/%,$(IT_TOOL_SRCS))

PROGRAMS := $(BUILD)/nyckeld $(CLIENTS)

# keep objects made by chained pattern rules
.SECONDARY:

.PHONY: all deps check test unit it demo install clean format bench
all: $(PROGRAMS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(GEN_C) $(GEN_H): proto/nyckel.proto
	@mkdir -p $(BUILD)/gen
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/gen $<

$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

# Generated code is not ours to warn about beyond the basics.
$(GEN_O): $(GEN_C)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -Wmissing-prototypes -Wshadow,$(CFLAGS_ALL)) -c -o $@ $<

$(BUILD)/libnyckeld.a: $(CORE_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libnyckel.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/daemon/notify.o: CFLAGS_ALL += $(DAEMON_CFLAGS)
$(BUILD)/obj/daemon/config.o: CFLAGS_ALL += $(CONFIG_CFLAGS)
$(BUILD)/tests/test_config: LDLIBS_ALL += $(CONFIG_LIBS)
$(BUILD)/obj/daemon/metrics_http.o: CFLAGS_ALL += $(MHD_CFLAGS)

$(BUILD)/nyckeld: $(BUILD)/obj/daemon/main.o $(BUILD)/libnyckeld.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) $(DAEMON_LIBS) $(CONFIG_LIBS)

$(BUILD)/nyckel-%: $(BUILD)/obj/clients/nyckel-%.o $(BUILD)/libnyckel.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# tests/unit/test_lib_*.c test the client library, the others the daemon core.
$(BUILD)/tests/test_lib_%: $(BUILD)/obj/tests/unit/test_lib_%.o $(BUILD)/libnyckel.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(BUILD)/libnyckeld.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) -lcmocka

$(BUILD)/tests/%: $(BUILD)/obj/tests/it/%.o $(BUILD)/libnyckel.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# tests/fault: the LD_PRELOAD layer that simulates power loss and I/O
# errors, and its rollback tool (tests/it/powerloss.sh, io_faults.sh).
# The layer is never instrumented: under SAN=1 the scripts preload the
# sanitizer runtime first.
FAULT_TOOLS := $(BUILD)/tests/libnkfault.so $(BUILD)/tests/nkfault-rollback

$(BUILD)/tests/libnkfault.so: tests/fault/nkfault.c tests/fault/nkfault.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(filter-out -fsanitize=% -fno-sanitize-recover=% -MMD -MP,$(CFLAGS_ALL)) \
	    -fPIC -shared -o $@ $< -ldl -lpthread

$(BUILD)/tests/nkfault-rollback: $(BUILD)/obj/tests/fault/nkfault-rollback.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

# Build and run every test once in $(BUILD).
test: deps $(PROGRAMS) $(UNIT_BINS) $(IT_TOOLS) $(FAULT_TOOLS)
	$(Q)BUILD=$(BUILD) tests/run.sh $(UNIT_BINS)

# Everything twice: a normal build and an ASan+UBSan build.
check: deps
	$(Q)$(MAKE) --no-print-directory test
	$(Q)$(MAKE) --no-print-directory test BUILD=build/san SAN=1 OPT="-O1 -g"

demo: deps all
	$(Q)BUILD=$(BUILD) KEEP=$(KEEP) tests/demo.sh

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
	           $(DESTDIR)$(PREFIX)/lib
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 include/nyckel.h include/nyckel_sub.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 $(BUILD)/libnyckel.a $(DESTDIR)$(PREFIX)/lib/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system \
	           $(DESTDIR)$(PREFIX)/lib/sysusers.d
	sed 's|/usr/local/bin/nyckeld|$(PREFIX)/bin/nyckeld|' systemd/nyckeld.service \
	    >$(DESTDIR)$(PREFIX)/lib/systemd/system/nyckeld.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/nyckeld.service
	install -m 0644 systemd/nyckel.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/nyckel.conf
	install -d $(DESTDIR)$(PREFIX)/share/doc/nyckel
	install -m 0644 systemd/nyckeld.conf $(DESTDIR)$(PREFIX)/share/doc/nyckel/nyckeld.conf.example
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man8/

# Man pages (issue 7): help2man makes them from each program's own --help
# and --version, so they cannot disagree with them, and adds what --help
# lacks (DESCRIPTION, FILES, EXAMPLES, SEE ALSO) from man/<program>.h2m.
# Not in `all` (help2man runs every program); `make check` builds and
# tests them (tests/it/manpages.sh), `make install` installs them.
MAN_PAGES := $(BUILD)/man/nyckeld.8 \
             $(patsubst $(BUILD)/%,$(BUILD)/man/%.1,$(CLIENTS))

.PHONY: man
man: $(MAN_PAGES)

$(BUILD)/man/%.8: $(BUILD)/% man/%.h2m
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MAN     $@")
	$(Q)help2man --no-info --section=8 --include=man/$*.h2m --output=$@.tmp $< \
	    && mv $@.tmp $@

$(BUILD)/man/%.1: $(BUILD)/% man/%.h2m
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MAN     $@")
	$(Q)help2man --no-info --section=1 --include=man/$*.h2m --output=$@.tmp $< \
	    && mv $@.tmp $@

test: $(MAN_PAGES)

clean:
	rm -rf build

format:
	clang-format -i daemon/*.c daemon/*.h clients/*.c clients/lib/*.c \
	    clients/lib/*.h include/*.h tests/unit/*.c tests/it/*.c \
	    tests/fuzz/*.c tests/fuzz/*.h bench/*.c bench/*.h \
	    bench/floor/*.c

# tests/fuzz: libFuzzer targets that double as corpus replays (STYLE 10).
# `make check` replays the committed corpus through each target with the
# normal compiler (tests/it/fuzz_replay.sh); `make fuzz` builds them with
# clang -fsanitize=fuzzer,address,undefined in $(FUZZ_BUILD) and runs each
# for FUZZ_SECONDS, new inputs in $(FUZZ_BUILD)/corpus, crashes in
# $(FUZZ_BUILD)/<target>-crash-*. `make fuzz-corpus` rewrites the seeds.
# batch and query fuzz the daemon core (libnyckeld.a); push fuzzes
# nyckel-push's reader in libnyckel.a, whose push.o it replaces with a
# fake pusher (fuzz_push.c), hence its own rules.
FUZZ_TARGETS := batch query push
FUZZ_REPLAYS := $(patsubst %,$(BUILD)/tests/fuzz_%_replay,$(FUZZ_TARGETS))
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build/fuzz
FUZZ_ARGS    ?=

$(BUILD)/tests/fuzz_%_replay: $(BUILD)/obj/tests/fuzz/fuzz_%.o \
                              $(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/libnyckeld.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Only with CC=clang and CFLAGS=-fsanitize=fuzzer-no-link (see fuzz).
$(BUILD)/tests/fuzz_%_fuzzer: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/libnyckeld.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/fuzz_push_replay: $(BUILD)/obj/tests/fuzz/fuzz_push.o \
                                 $(BUILD)/obj/tests/fuzz/replay.o $(BUILD)/libnyckel.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/fuzz_push_fuzzer: $(BUILD)/obj/tests/fuzz/fuzz_push.o $(BUILD)/libnyckel.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/fuzz_gen_corpus: $(BUILD)/obj/tests/fuzz/gen_corpus.o $(BUILD)/libnyckeld.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

test: $(FUZZ_REPLAYS)

# The long runs: the property test with thousands of seeds and the
# power-loss test with at least 100 power cuts.
.PHONY: soak
soak: deps all $(FAULT_TOOLS)
	$(Q)SEEDS=3000 PROP_SEED=10000 PROP_CHUNK=250 BUILD=$(BUILD) bash tests/it/property.sh
	$(Q)PL_MIN_ROUNDS=100 PL_MAX_ROUNDS=150 PL_HOUSEHOLDS=300 BUILD=$(BUILD) \
	    bash tests/it/powerloss.sh

.PHONY: fuzz fuzz-corpus
fuzz: deps
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS=clang
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SAN=1 \
	    OPT="-O1 -g" CFLAGS=-fsanitize=fuzzer-no-link \
	    $(patsubst %,$(FUZZ_BUILD)/tests/fuzz_%_fuzzer,$(FUZZ_TARGETS))
	$(Q)for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t && \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s" && \
	  $(FUZZ_BUILD)/tests/fuzz_$${t}_fuzzer -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 -dict=tests/fuzz/nyckel.dict \
	    -artifact_prefix=$(FUZZ_BUILD)/$$t- $(FUZZ_ARGS) \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

fuzz-corpus: $(BUILD)/tests/fuzz_gen_corpus
	$(Q)$(BUILD)/tests/fuzz_gen_corpus tests/fuzz/corpus

# `make bench` (issue 8): nyckel-bench, optimised and without sanitizers
# in its own $(BENCH_BUILD), run against the daemon and clients built
# there; results in bench/RESULTS.md. Not part of `all` or `check`.
# The peers (bench/peer*.c: Redis over hiredis, PostgreSQL over libpq)
# are compiled in when present; without them `--peers none` is the only
# choice. BENCH_ARGS passes options to nyckel-bench (see its --help).
BENCH_BUILD    ?= build/bench
BENCH_ARGS     ?=
BENCH_DEB_PKGS := redis-server libhiredis-dev postgresql libpq-dev
BENCH_SRCS     := $(wildcard bench/*.c)
ifneq ($(wildcard bench/peer.c),)
BENCH_CFLAGS := -DBENCH_HAVE_PEERS $(shell pkg-config --cflags hiredis libpq 2>/dev/null)
BENCH_LIBS   := $(shell pkg-config --libs hiredis libpq 2>/dev/null || echo -lhiredis -lpq)
endif

$(BUILD)/obj/bench/%.o: CFLAGS_ALL += -Ibench -Iclients/lib $(BENCH_CFLAGS)

# the daemon's pure period and cell modules (bench/bench.h): the same
# periods and age bands as nyckeld's
$(BUILD)/nyckel-bench: $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_SRCS)) \
                       $(BUILD)/obj/daemon/period.o $(BUILD)/obj/daemon/cell.o \
                       $(BUILD)/obj/daemon/cellmap.o $(BUILD)/obj/daemon/hash.o \
                       $(BUILD)/obj/daemon/xalloc.o \
                       $(BUILD)/libnyckel.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS_ALL) $(BENCH_LIBS)

# nyckel-floor (bench/floor): nyckeld's ingestion without aggregation,
# the floor the bench measures the targets against
$(BUILD)/nyckel-floor: $(BUILD)/obj/bench/floor/nyckel-floor.o \
                       $(BUILD)/libnyckeld.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS_ALL)

bench: deps
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(BENCH_DEB_PKGS)"
	$(Q)$(MAKE) --no-print-directory BUILD=$(BENCH_BUILD) SAN= \
	    OPT="-O2 -g -DNDEBUG" all $(BENCH_BUILD)/nyckel-bench \
	    $(BENCH_BUILD)/nyckel-floor
	$(Q)$(BENCH_BUILD)/nyckel-bench --bin $(BENCH_BUILD) \
	    --report bench/RESULTS.md $(BENCH_ARGS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

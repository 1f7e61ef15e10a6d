# mod_jobcenter build. `make` builds the core archive, the Apache module
# (via apxs) and the admin tool; `make unit` runs the cmocka unit tests
# (with AddressSanitizer and UndefinedBehaviorSanitizer); `make asan` builds
# build/asan/mod_jobcenter.so with ASan+UBSan for the real Apache (run the
# HTTP suite on it with JC_ASAN=1, see docs/internals.md).
APXS    ?= apxs
CC      ?= cc
BUILD   := build
# where the admin tool looks for the migrations first (the Debian package
# builds it with /usr/share/jobcenter/sql)
JC_SQL_DIR ?= $(CURDIR)/sql
# extra compiler / linker flags: the Debian package passes dpkg-buildflags'
# hardening (-D_FORTIFY_SOURCE=2, -fstack-protector-strong, -z relro -z now)
HARDEN_CFLAGS ?=
HARDEN_LDFLAGS ?=
APR_CFLAGS := $(shell pkg-config --cflags apr-1 apr-util-1 libpq)
APR_LIBS   := $(shell pkg-config --libs apr-1 apr-util-1)
WARN    := -Wall -Wextra -Werror
CFLAGS_CORE := -std=c11 $(WARN) -O2 -g -fPIC $(APR_CFLAGS)
LIBS    := -largon2 -ljansson -lcbor -lqrencode -lhpdf -lcrypto -lcurl -lsqlite3 -lpq

CORE_SRCS := $(sort $(wildcard mod_jobcenter/jc_*.c))
CORE_OBJS := $(patsubst mod_jobcenter/%.c,$(BUILD)/core/%.o,$(CORE_SRCS))
CORE_HDRS := $(wildcard mod_jobcenter/jc_*.h)
GLUE_SRCS := $(sort $(wildcard mod_jobcenter/mod_jobcenter*.c))
GLUE_HDRS := $(wildcard mod_jobcenter/mod_jobcenter*.h)

all: $(BUILD)/mod_jobcenter.so $(BUILD)/jobcenter-admin $(BUILD)/jc-sql-check

$(BUILD)/core/%.o: mod_jobcenter/%.c $(CORE_HDRS)
	@mkdir -p $(BUILD)/core
	$(CC) $(CFLAGS_CORE) $(HARDEN_CFLAGS) -c -o $@ $<

$(BUILD)/libjccore.a: $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

# docs/openapi.yaml as a C array, served by the module at
# /api/v1/openapi.yaml (od: coreutils, no extra build dependency)
$(BUILD)/jc_openapi_yaml.h: docs/openapi.yaml
	@mkdir -p $(BUILD)
	{ echo '/* generated from docs/openapi.yaml by the Makefile */'; \
	  echo 'static const char jc_openapi_yaml[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; } > $@.tmp && mv -f $@.tmp $@

# apxs compiles the glue with httpd's flags and links the PIC core archive.
$(BUILD)/mod_jobcenter.so: $(GLUE_SRCS) $(GLUE_HDRS) $(BUILD)/libjccore.a \
	    $(BUILD)/jc_openapi_yaml.h
	@mkdir -p $(BUILD)/glue
	cp $(GLUE_SRCS) $(GLUE_HDRS) $(BUILD)/glue/
	cd $(BUILD)/glue && $(APXS) -c -o mod_jobcenter.la \
	    -Wc,-std=c11 -Wc,-Wall -Wc,-Wextra -Wc,-Werror \
	    $(addprefix -Wc$(comma),$(HARDEN_CFLAGS)) \
	    -I$(CURDIR)/mod_jobcenter -I$(CURDIR)/$(BUILD) \
	    $(notdir $(GLUE_SRCS)) $(CURDIR)/$(BUILD)/libjccore.a $(LIBS) \
	    >apxs.log 2>&1 || { cat apxs.log; exit 1; }
	# new inode: running Apache processes keep their mapping of the old file
	cp $(BUILD)/glue/.libs/mod_jobcenter.so $@.tmp && mv -f $@.tmp $@

ADMIN_SRCS := $(sort $(wildcard admin/*.c))
$(BUILD)/jobcenter-admin: $(ADMIN_SRCS) admin/admin.h $(BUILD)/libjccore.a
	$(CC) -std=c11 $(WARN) -O2 -g $(HARDEN_CFLAGS) $(APR_CFLAGS) -Imod_jobcenter \
	    -DJC_SQL_DIR='"$(JC_SQL_DIR)"' -o $@ $(ADMIN_SRCS) \
	    $(BUILD)/libjccore.a $(APR_LIBS) $(LIBS) $(HARDEN_LDFLAGS)

# Checks every statement's declared result columns on a database
# (tests/http/sql-columns.test.mjs runs it on SQLite and PostgreSQL).
$(BUILD)/jc-sql-check: tools/jc-sql-check.c $(BUILD)/libjccore.a
	$(CC) -std=c11 $(WARN) -O0 -g $(APR_CFLAGS) -Imod_jobcenter -o $@ $< \
	    $(BUILD)/libjccore.a -lsqlite3 -lpq

# The module with AddressSanitizer + UndefinedBehaviorSanitizer. Core and
# glue are compiled by gcc (apxs's compiler): one sanitizer runtime, the one
# that tests/lib/apache-asan.sh preloads into the uninstrumented apache2
# (it reads it from `ldd build/asan/mod_jobcenter.so`). libtool drops
# unknown link flags, so the runtimes are linked with plain -l.
ASAN_CC    ?= gcc
comma      := ,
SANITIZE   := -fsanitize=address -fsanitize=undefined -fno-omit-frame-pointer
CFLAGS_ASAN := -std=c11 $(WARN) -O1 -g -fPIC $(SANITIZE) $(APR_CFLAGS)
ASAN_OBJS  := $(patsubst mod_jobcenter/%.c,$(BUILD)/asan/core/%.o,$(CORE_SRCS))
# tests/asan/pool_wrap.c: the module's pool allocations become exact-size
# malloc blocks (ld --wrap), so ASan sees overflows of pool buffers too
ASAN_WRAP  := apr_palloc apr_pcalloc apr_pstrdup apr_pstrndup apr_pstrmemdup \
              apr_pmemdup apr_pstrcat apr_pvsprintf apr_psprintf

asan: $(BUILD)/asan/mod_jobcenter.so

$(BUILD)/asan/core/%.o: mod_jobcenter/%.c $(CORE_HDRS)
	@mkdir -p $(BUILD)/asan/core
	$(ASAN_CC) $(CFLAGS_ASAN) -c -o $@ $<

$(BUILD)/asan/libjccore.a: $(ASAN_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/asan/mod_jobcenter.so: $(GLUE_SRCS) $(GLUE_HDRS) tests/asan/pool_wrap.c \
	    $(BUILD)/asan/libjccore.a $(BUILD)/jc_openapi_yaml.h
	@mkdir -p $(BUILD)/asan/glue
	cp $(GLUE_SRCS) $(GLUE_HDRS) tests/asan/pool_wrap.c $(BUILD)/asan/glue/
	cd $(BUILD)/asan/glue && $(APXS) -S CC=$(ASAN_CC) -c -o mod_jobcenter.la \
	    -Wc,-std=c11 -Wc,-Wall -Wc,-Wextra -Wc,-Werror -Wc,-O1 \
	    $(addprefix -Wc$(comma),$(SANITIZE)) \
	    $(addprefix -Wl$(comma)-Wl$(comma)--wrap=,$(ASAN_WRAP)) \
	    -I$(CURDIR)/mod_jobcenter -I$(CURDIR)/$(BUILD) \
	    $(notdir $(GLUE_SRCS)) pool_wrap.c $(CURDIR)/$(BUILD)/asan/libjccore.a \
	    -lasan -lubsan $(LIBS) \
	    >apxs.log 2>&1 || { cat apxs.log; exit 1; }
	cp $(BUILD)/asan/glue/.libs/mod_jobcenter.so $@.tmp && mv -f $@.tmp $@

# The directive table printed for tools/check-directives.sh (the table's
# file compiled without its setters; httpd's headers, no httpd symbols).
$(BUILD)/jc-directives: tools/jc-directives.c \
	    mod_jobcenter/mod_jobcenter_directives.c $(GLUE_HDRS) $(CORE_HDRS)
	@mkdir -p $(BUILD)
	$(CC) -std=c11 $(WARN) -O0 -g $(APR_CFLAGS) \
	    -I$(shell $(APXS) -q INCLUDEDIR) -Imod_jobcenter -o $@ $<

unit:
	$(MAKE) -C tests/unit check
	$(MAKE) -C tests/unit check-tsan

clean:
	rm -rf $(BUILD)

.PHONY: all asan unit clean

# http/: the monitor. Included by the Makefile.
#
# cpp-httplib: Debian's libcpp-httplib-dev is not header-only; httplib.h declares and
# libcpp-httplib.so implements (http/httplib_inc.h sets the matching feature macros).
# RapidJSON is header-only. The page's files in http/assets/ are compiled in as byte arrays.

HTTP_ASSETS := $(sort $(wildcard http/assets/*.html http/assets/*.js http/assets/*.css http/assets/*.svg))
HTTP_ASSETS_CPP := $(BUILD)/gen/http/assets_data.cpp
GEN_SRCS += $(HTTP_ASSETS_CPP)
APP_LIBS += -lcpp-httplib

# The list of assets is a prerequisite too, so adding or removing a file regenerates the source.
HTTP_ASSETS_LIST := $(BUILD)/gen/http/assets.list
$(shell mkdir -p $(BUILD)/gen/http && (echo '$(HTTP_ASSETS)' | cmp -s - $(HTTP_ASSETS_LIST) || echo '$(HTTP_ASSETS)' > $(HTTP_ASSETS_LIST)))

$(HTTP_ASSETS_CPP): $(HTTP_ASSETS) $(HTTP_ASSETS_LIST) http/embed_assets.py
	@mkdir -p $(@D)
	/usr/bin/python3 http/embed_assets.py $@ $(HTTP_ASSETS)

# build/fake_run: a monitor over a synthetic run that grows while it serves (the browser test's
# server, and a way to look at the page without training). Its prerequisites name APP_OBJS,
# which the Makefile defines after this file, hence the second expansion.
.SECONDEXPANSION:
$(BUILD)/fake_run: $(BUILD)/http/tools/fake_run.o $$(APP_OBJS) $(BUILD)/libgancore.a
	$(CXX) -o $@ $^ $(LDFLAGS) $(APP_LIBS) $(CUDA_LIBS)

tests-build: $(BUILD)/fake_run
TEST_SCRIPTS += tests/browser/run.sh

# ---- fuzzing (libFuzzer; docs/fuzzing.md) ----
#   make fuzz                 build every harness in tests/fuzz/ into build/fuzz/<name> (clang)
#   make fuzz-run             build them and run each for FUZZ_SECONDS (scripts/fuzz; .ci/run)
# Each harness links only the sources it needs, compiled again by clang with ASan and UBSan
# (and libFuzzer's coverage) in build/fuzz/obj/; nothing is shared with the gcc build.
FUZZ_CXX     ?= $(firstword $(shell command -v clang++-14 clang++ 2>/dev/null) clang++)
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 20
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
                -fsanitize-ignorelist=tests/fuzz/ubsan-ignorelist.txt
FUZZ_CXXFLAGS = -std=c++17 -O1 -g $(FUZZ_SAN) -Wall -Wno-unused-parameter -Wno-unknown-pragmas \
                -MMD -MP -I. -Isrc -Itests/fuzz $(STB_FLAGS)
FUZZ_NAMES    = $(sort $(basename $(notdir $(wildcard tests/fuzz/*.cpp))))

# The sources each harness needs besides its own file.
ART := src/train/artifacts
FUZZ_SRCS_safetensors             = $(ART)/safetensors.cpp src/common/json.cpp src/common/atomic_file.cpp
FUZZ_SRCS_idx_gzip                = src/data/idx.cpp src/data/gzip.cpp src/data/io.cpp src/data/image.cpp src/data/dataset.cpp \
                                    src/data/cifar.cpp src/data/folder.cpp src/data/synthetic.cpp src/data/download.cpp \
                                    src/data/stb_impl.cpp src/common/fs.cpp
FUZZ_SRCS_image_folder            = $(FUZZ_SRCS_idx_gzip)
FUZZ_SRCS_xml                     = cloud/xml.cpp
FUZZ_SRCS_json_gan                = src/common/json.cpp http/api.cpp http/run_catalog.cpp http/paths.cpp http/downsample.cpp \
                                    src/train/run_state.cpp $(ART)/csv.cpp
FUZZ_SRCS_dates                   = src/common/dates.cpp
FUZZ_SRCS_metrics_csv             = $(ART)/csv.cpp
FUZZ_SRCS_upload_journal          = src/storage/upload_queue.cpp cloud/retry.cpp src/common/atomic_file.cpp
FUZZ_SRCS_http_paths              = http/paths.cpp
FUZZ_SRCS_http_auth               = http/auth.cpp
FUZZ_SRCS_aws_credentials         = aws/credentials.cpp src/common/json.cpp src/common/dates.cpp cloud/http.cpp cloud/retry.cpp cloud/crypto.cpp cloud/token_cache.cpp
FUZZ_SRCS_azure_connection_string = azure/credentials.cpp aws/sigv4.cpp $(FUZZ_SRCS_aws_credentials)
FUZZ_LIBS_idx_gzip       = -lz
FUZZ_LIBS_xml            = -lexpat
FUZZ_LIBS_image_folder   = -lz
FUZZ_LIBS_upload_journal = -lz -lpthread
FUZZ_LIBS_aws_credentials = -lcurl -lssl -lcrypto -lpthread
FUZZ_LIBS_azure_connection_string = $(FUZZ_LIBS_aws_credentials)

FUZZ_BINS = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/%)
.PHONY: fuzz fuzz-run
fuzz: $(FUZZ_BINS)
# A harness that does not build is reported by scripts/fuzz as failed; the others still run.
fuzz-run:
	-$(MAKE) -k fuzz
	scripts/fuzz $(FUZZ_SECONDS)

$(FUZZ_BUILD)/obj/%.o: %.cpp fuzz.mk tests/fuzz/ubsan-ignorelist.txt
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

define FUZZ_template
$(FUZZ_BUILD)/$(1): $(FUZZ_BUILD)/obj/tests/fuzz/$(1).o $(patsubst %.cpp,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SRCS_$(1)))
	$$(FUZZ_CXX) -fsanitize=fuzzer $(FUZZ_SAN) -o $$@ $$^ $(FUZZ_LIBS_$(1))
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call FUZZ_template,$(n))))

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

# sitepack — see README.md. `make demo` and `make test` work on a fresh Debian 12 machine with Swift.
SWIFT     ?= swift
PORT      ?= 9000
HOST      ?= 127.0.0.1
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: building and running sitepack / its tests (real peers) / the benchmarks.
BUILD_PKGS := libarchive-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev pkg-config
TEST_PKGS  := libarchive-tools pigz curl tar gzip python3 python3-venv coreutils binutils
BENCH_PKGS := nginx wrk python3.11-doc hyperfine busybox

# Apache Mesos's own generated protobuf classes, for the strict check of `task`'s JSON
# (TaskCommandTests), in a venv because Debian's python3 is externally managed (PEP 668).
# mesos.interface's mesos_pb2 was generated for protobuf 3; protobuf 4 and later refuse to load it.
MESOS_PROTO_VENV := .build/mesos-proto-python
MESOS_PROTO_PKGS := 'mesos.interface==1.7.2' 'protobuf==3.20.3'

# The binary `serve` hands to agents at /bin/<sha256>/sitepack: the Swift runtime and Foundation linked in here,
# libdeflate through Package.swift; debug info stripped (symbols kept for backtraces: 115 MB → 89 MB).
# ReleaseBinaryTests checks that only agent libraries stay dynamic.
RELEASE_FLAGS := -c release --static-swift-stdlib -Xlinker --strip-debug

.PHONY: all deps test-deps bench-deps build release test demo bench soak fuzz clean

all: build

define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call install_missing,$(BUILD_PKGS))

test-deps: deps
	$(call install_missing,$(TEST_PKGS))
	@$(MESOS_PROTO_VENV)/bin/python -c 'from google.protobuf import json_format; from mesos.interface import mesos_pb2' 2>/dev/null || { \
	  echo "installing into $(MESOS_PROTO_VENV): $(MESOS_PROTO_PKGS)"; \
	  python3 -m venv $(MESOS_PROTO_VENV) && \
	  $(MESOS_PROTO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(MESOS_PROTO_PKGS); }

bench-deps: test-deps
	$(call install_missing,$(BENCH_PKGS))

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# The release build comes first: ReleaseBinaryTests checks the binary agents would run.
test: test-deps release
	$(SWIFT) build
	$(SWIFT) test

# Pack the sample, verify it, print the TaskInfo for samples/offer.json, run it as an agent would (check), say how to launch it, and serve it.
demo: release
	.build/release/sitepack build samples/hello-site -o dist
	.build/release/sitepack verify dist/content.tar.gz --manifest dist/manifest.json
	@sha=$$(cut -c1-64 dist/content.tar.gz.sha256); \
	  echo "The TaskInfo sitepack launch would put in its ACCEPT for samples/offer.json (sitepack task):"; \
	  .build/release/sitepack task --offer samples/offer.json --name hello-site --format taskinfo \
	    --artifact http://$(HOST):$(PORT)/sites/hello-site/$$sha/content.tar.gz
	.build/release/sitepack check dist
	@sha=$$(cut -c1-64 dist/content.tar.gz.sha256); \
	  echo "To launch it on a cluster (agents must reach this server; serve with --host 0.0.0.0 --advertise http://THIS-HOST:$(PORT)):"; \
	  echo "  .build/release/sitepack launch --master http://MASTER:5050 --artifact http://THIS-HOST:$(PORT)/sites/hello-site/$$sha/content.tar.gz"; \
	  echo "  (or: .build/release/sitepack launch --master http://MASTER:5050 dist, which serves dist itself while the task runs; docs/launch.md)"
	@echo "Serving dist/ on http://$(HOST):$(PORT) (Ctrl-C stops it):"
	.build/release/sitepack serve dist --host $(HOST) --port $(PORT)

bench: bench-deps release
	benchmarks/run-all.sh

# Load and faults against the release binary (~5 min, 127.0.0.1 only; part 7 mounts a tmpfs as root): PASS/FAIL per part.
soak: release
	benchmarks/soak.sh

# libFuzzer targets (Fuzz/, its own package, built with -sanitize=fuzzer,address into .build-fuzz), FUZZ_SECONDS
# each (default 60), one after the other; prints exec/s and coverage per target. Not part of `test` or CI.
FUZZ_SECONDS ?= 60
fuzz: deps
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

clean:
	rm -rf .build dist benchmarks/work .build-fuzz Fuzz/work

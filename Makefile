# onair: the two commands (make demo, make test) and their set-up.
# On a fresh Debian 12 machine (root, or sudo) these install what is missing.

SHELL := /bin/bash
CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages the build needs: a C toolchain for ring and SQLite,
# libdbus for the keyring; and the tests: a D-Bus session with
# gnome-keyring (Secret Service) and keyutils, secret-tool to look inside.
APT_PACKAGES := build-essential pkg-config ca-certificates libdbus-1-dev \
  dbus keyutils gnome-keyring libsecret-tools

DEMO_DATA ?= $(HOME)/.local/share/onair-demo-service
DEMO_LISTEN ?= 127.0.0.1:8443

.PHONY: all demo test bench deps fmt-check clippy rust-test service clean

all: test

## Install the Debian packages that are missing (nothing when all are there).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 1; }

fmt-check:
	$(CARGO) fmt --all -- --check

clippy: deps
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## Every Rust test, the OS-keyring ones included (they need the session
## scripts/with-keyring sets up).
rust-test: deps
	scripts/with-keyring $(CARGO) test --workspace --locked -- --include-ignored

## Formatting, clippy with warnings denied, every test.
test: deps fmt-check clippy rust-test

## Until the desktop app lands: the reference service with demo data and a
## simulated audience, on https://$(DEMO_LISTEN) (self-signed; the
## fingerprint is printed).
demo: deps
	$(CARGO) run --locked --release -p onair-service --bin onair-service -- \
	  --data-dir "$(DEMO_DATA)" --listen $(DEMO_LISTEN) --seed-demo --simulate 2

## Benchmarks (release builds): the reference service under load, then the
## client's chat follower and live watcher.
bench: deps
	$(CARGO) build --locked --release -p onair-service --bin onair-service-bench
	$(CARGO) build --locked --release -p onair-client --example bench
	./target/release/onair-service-bench $(BENCH_ARGS)
	./target/release/examples/bench $(CLIENT_BENCH_ARGS)

clean:
	$(CARGO) clean

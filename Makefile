# onair: the two commands (make demo, make test) and their set-up.
# On a fresh Debian 12 machine (root, or sudo) these install what is missing.

SHELL := /bin/bash
CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages the build needs: a C toolchain for ring and SQLite,
# libdbus for the keyring; and the tests: a D-Bus session with
# gnome-keyring (Secret Service) and keyutils, secret-tool to look inside;
# real OBS Studio (obs-websocket 5) with Mesa's software GL, and ffmpeg as
# a local RTMP sink for OBS to stream to; GStreamer's H.264 and AAC
# decoders and parsers (libav, bad) for the dashboard's preview, which
# WebKitGTK plays through GStreamer; Noto CJK and Noto Color Emoji, so
# Korean, Japanese and emoji show as text, not boxes.
APT_PACKAGES := build-essential pkg-config ca-certificates libdbus-1-dev \
  dbus keyutils gnome-keyring libsecret-tools \
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev \
  xvfb xauth at-spi2-core xclip python3 webkit2gtk-driver \
  obs-studio libgl1-mesa-dri ffmpeg \
  gstreamer1.0-libav gstreamer1.0-plugins-bad \
  fonts-noto-cjk fonts-noto-color-emoji
# Node.js for the UI build, from Debian when the machine has none.
NODE_PACKAGES := nodejs npm

DEMO_DATA ?= $(HOME)/.local/share/onair-demo-service
DEMO_LISTEN ?= 127.0.0.1:8443
DEMO_RTMP ?= 127.0.0.1:1935

.PHONY: all demo test bench deps ui-deps oidc-deps ui ui-check ui-test tauri-driver fmt-check clippy rust-test service clean icons bundle bundle-test

all: test

## Install the Debian packages that are missing (nothing when all are there).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null || missing="$$missing $(NODE_PACKAGES)"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 1; }

## The UI's npm packages, exactly those of the committed package-lock.json
## (`npm ci` never writes it: the tree stays clean). npm writes
## node_modules/.package-lock.json at each install: the stamp.
ui-deps: deps
	@if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then \
	  cd ui && npm ci --no-audit --no-fund; fi

## The standard OpenID Connect provider the tests log in to (node's
## oidc-provider, tests/oidc), at the versions of its package-lock.json.
oidc-deps: deps
	@if [ ! -f tests/oidc/node_modules/.package-lock.json ] || [ tests/oidc/package-lock.json -nt tests/oidc/node_modules/.package-lock.json ]; then \
	  cd tests/oidc && npm ci --no-audit --no-fund; fi

## The UI bundle (ui/dist), which the app embeds at compile time: built
## only when a source changed, since a new bundle recompiles the app.
UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/package.json ui/package-lock.json \
  ui/vite.config.ts ui/svelte.config.js ui/tsconfig.json
ui/dist/index.html: $(UI_SOURCES) | ui-deps
	cd ui && npm run build
## The reference service's watch page player (hls.js + ui/src/watch), one
## script the service embeds at compile time.
ui/dist-watch/watch.js: $(UI_SOURCES) ui/vite.watch.config.ts | ui-deps
	cd ui && npm run build:watch
ui: ui-deps ui/dist/index.html ui/dist-watch/watch.js

ui-check: ui-deps
	cd ui && npm run check

ui-test: ui-deps
	cd ui && npm test

fmt-check:
	$(CARGO) fmt --all -- --check

clippy: deps ui
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy -p onair --no-default-features --locked -- -D warnings

## tauri-driver, the WebDriver bridge of the end-to-end tests.
TAURI_DRIVER := $(or $(shell command -v tauri-driver),$(HOME)/.cargo/bin/tauri-driver)
tauri-driver:
	@[ -x "$(TAURI_DRIVER)" ] || $(CARGO) install tauri-driver --locked --version '^2'

## Every Rust test, the ignored ones included: the OS-keyring test (in the
## session scripts/with-keyring sets up) and the end-to-end test of the real
## app under Xvfb through tauri-driver (screenshots in target/e2e-screens).
## The app's binary is built first: the top-level tests crate drives it, and
## cargo builds a package's binaries only for that package's own tests.
rust-test: deps ui oidc-deps tauri-driver
	$(CARGO) build --locked -p onair --bin onair
	TAURI_DRIVER="$(TAURI_DRIVER)" scripts/with-keyring xvfb-run -a -s "-screen 0 1280x900x24" \
	  $(CARGO) test --workspace --locked -- --include-ignored

## Formatting, clippy with warnings denied, every test, then the packages
## built and installed for real (bundle-test): a cold make test takes about
## 25 minutes here, 9 of them the release build (README, "Install").
test: deps fmt-check clippy rust-test ui-check ui-test bundle-test

## The desktop app on the built-in demo service (embedded reference
## service with demo data and a simulated audience), on this display.
## Log in as streamer / streamer (or moderator, viewer).
demo: deps ui
	$(CARGO) build --locked -p onair --bin onair
	./target/debug/onair --demo

## The reference service alone, on https://$(DEMO_LISTEN) (self-signed; the
## fingerprint is printed), for other clients, taking RTMP streams on
## rtmp://$(DEMO_RTMP)/live.
service: deps ui
	$(CARGO) run --locked --release -p onair-service --bin onair-service -- \
	  --data-dir "$(DEMO_DATA)" --listen $(DEMO_LISTEN) --rtmp-listen $(DEMO_RTMP) --seed-demo --simulate 2

## Benchmarks (release builds): the reference service under load, its
## RTMP ingest and HLS beside nginx-rtmp (installed here when missing), the
## client's chat follower and live watcher, the login's own time with the
## service's server and with node's oidc-provider (oidc-deps), then the app (start time,
## memory against a blank webview, CPU) under Xvfb, then the chat pane at
## 200 msg/s for 10 min and at rising rates (CHAT_BENCH_ARGS="--minutes 1
## --quick" for a short run), then the dashboard's preview playing,
## hidden, minimised (under openbox, with xdotool and wmctrl, installed
## here) and off; last, the service's one-hour soak (a busy day and a
## flood of idle connections at once; SOAK_ARGS=--quick for 3 minutes).
bench: deps ui oidc-deps
	@dpkg-query -W -f='$${Status}' libnginx-mod-rtmp 2>/dev/null | grep -q "install ok installed" || \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nginx libnginx-mod-rtmp
	$(CARGO) build --locked --release -p onair-service --features testing \
	  --bin onair-service --bin onair-service-bench --bin onair-ingest-bench --bin onair-soak
	$(CARGO) build --locked --release -p onair-tests --example watchers_bench
	$(CARGO) build --locked --release -p onair-tests --example login_bench
	$(CARGO) build --locked --release -p onair --features custom-protocol --bin onair --example app_bench
	./target/release/onair-service-bench $(BENCH_ARGS)
	./target/release/onair-ingest-bench $(INGEST_BENCH_ARGS)
	./target/release/examples/watchers_bench $(CLIENT_BENCH_ARGS)
	./target/release/examples/login_bench
	scripts/with-keyring xvfb-run -a -s "-screen 0 1280x900x24" \
	  ./target/release/examples/app_bench target/release/onair $(APP_BENCH_ARGS)
	scripts/with-keyring xvfb-run -a -s "-screen 0 1280x900x24" \
	  ./target/release/examples/app_bench target/release/onair --chat $(CHAT_BENCH_ARGS)
	@for p in openbox xdotool wmctrl; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$p; done
	scripts/with-keyring xvfb-run -a -s "-screen 0 1280x900x24" \
	  ./target/release/examples/app_bench target/release/onair --preview $(PREVIEW_BENCH_ARGS)
	./target/release/onair-soak $(SOAK_ARGS)

## The app's icons at every size the desktops ask for (Linux PNGs, the
## Windows .ico, the macOS .icns), from one 1,024-pixel image drawn by
## icons/make-icons.py, through the Tauri CLI's icon command. Committed;
## run after changing the drawing.
TAURI_CLI := ui/node_modules/.bin/tauri
icons: ui-deps
	python3 icons/make-icons.py
	$(TAURI_CLI) icon icons/app-icon.png -o icons
	rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png

## Packages: the release app (front end embedded, demo service inside) as a
## .deb and an .rpm through Tauri's bundler (its CLI pinned in
## ui/package.json), in target/release/bundle/deb and .../rpm, with the
## manual page (scripts/packaging). MEDIA_URL=https://… (where a release
## publishes docs/screens): the AppStream metadata lists those screenshots
## too; AppStream takes web URLs only, so without it none are listed.
MEDIA_URL ?=
bundle: deps ui
	scripts/packaging target/packaging $(MEDIA_URL)
	$(TAURI_CLI) build --ci --bundles deb,rpm --config target/packaging/bundle.json -- --locked
	@ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm

## Installs the .deb for real and checks it (scripts/bundle-test): the
## binary, the installed app under Xvfb on its demo service, the desktop
## entry, AppStream, lintian, removal leaving nothing; the .rpm's metadata
## and rpmlint. The last step of make test. It installs and removes onair
## (as root, through sudo otherwise), and refuses where onair is installed.
BUNDLE_TEST_PACKAGES := lintian desktop-file-utils appstream rpm rpmlint xdotool man-db curl iproute2
bundle-test: bundle
	@missing=""; for p in $(BUNDLE_TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(SUDO) scripts/bundle-test

clean:
	$(CARGO) clean

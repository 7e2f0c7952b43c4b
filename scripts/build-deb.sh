#!/usr/bin/env bash
# Builds the Debian package: target/debian/mugai_VERSION-1_ARCH.deb
#   1. installs cargo-deb when it is missing (cargo install cargo-deb --locked),
#   2. builds the release binary,
#   3. generates the man pages and shell completions from the command-line definitions
#      (mugai generate man / completions) into target/deb-extra/,
#   4. runs cargo deb --no-build (package contents: [package.metadata.deb] in Cargo.toml).
# The last line of the output is the path of the .deb.
# Usage: scripts/build-deb.sh [cargo deb options]    (from anywhere in the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

# cargo-deb 3.8.0 builds with rustc 1.95 (about 2 minutes of CPU to install).
CARGO_DEB_VERSION=${CARGO_DEB_VERSION:-3.8.0}
if ! cargo deb --version >/dev/null 2>&1; then
    echo "build-deb: installing cargo-deb $CARGO_DEB_VERSION" >&2
    cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION" >&2
fi

echo "build-deb: cargo build --release" >&2
cargo build --release --locked >&2
target_dir=${CARGO_TARGET_DIR:-target}
bin="$target_dir/release/mugai"

extra=target/deb-extra
rm -rf "$extra"
mkdir -p "$extra/man" "$extra/completions"
"$bin" generate man "$extra/man"
gzip -9n "$extra"/man/*.1
"$bin" generate completions bash >"$extra/completions/mugai.bash"
"$bin" generate completions zsh >"$extra/completions/_mugai"
"$bin" generate completions fish >"$extra/completions/mugai.fish"

echo "build-deb: cargo deb --no-build" >&2
# --strip: the release profile keeps line tables (debug = 1) for backtraces in development;
# the packaged binary goes from about 50 MB to under 10 MB without them.
cargo deb --no-build --locked --strip "$@" | tail -n 1

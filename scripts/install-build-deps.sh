#!/usr/bin/env bash
# Install the system libraries the build needs: libopus-dev (the Opus codec
# of the media engine, host/media, linked through pkg-config) and
# pkg-config. Idempotent: does nothing when everything is already
# installed. Needs root (or sudo) for the Debian packages.
set -euo pipefail

PACKAGES=(libopus-dev pkg-config)

# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_ensure install-build-deps "${PACKAGES[@]}"

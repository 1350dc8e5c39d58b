#!/usr/bin/env bash
# Install the system libraries the build needs: libopus-dev (the Opus codec
# of the media engine, host/media, linked through pkg-config) and
# pkg-config. Idempotent: does nothing when everything is already
# installed. Needs root (or sudo) for the Debian packages.
set -euo pipefail

PACKAGES=(libopus-dev pkg-config)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-build-deps: need root or sudo to install: ${PACKAGES[*]}" >&2
        exit 1
    fi
fi

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    if installed "$pkg"; then
        echo "install-build-deps: $pkg already installed ($(dpkg-query -W -f='${Version}' "$pkg"))"
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -ne 0 ]; then
    # Refresh the package lists once, only if some package is unknown.
    for pkg in "${missing[@]}"; do
        if ! apt-cache show "$pkg" >/dev/null 2>&1; then
            echo "install-build-deps: $pkg unknown to apt, running apt-get update"
            "${SUDO[@]}" apt-get update
            break
        fi
    done

    echo "install-build-deps: installing ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"

    for pkg in "${missing[@]}"; do
        installed "$pkg" || { echo "install-build-deps: $pkg failed to install" >&2; exit 1; }
        echo "install-build-deps: installed $pkg ($(dpkg-query -W -f='${Version}' "$pkg"))"
    done
fi

#!/usr/bin/env bash
# Install the third-party SIP peers the end-to-end tests drive (see
# /work/shared/PEERS.md): for now Debian's `baresip`. Idempotent: exits 0
# at once when everything is already installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(baresip)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-test-peers: need root or sudo to install: ${PACKAGES[*]}" >&2
        exit 1
    fi
fi

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    if installed "$pkg"; then
        echo "install-test-peers: $pkg already installed ($(dpkg-query -W -f='${Version}' "$pkg"))"
    else
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

# Refresh the package lists once, only if some package is unknown.
for pkg in "${missing[@]}"; do
    if ! apt-cache show "$pkg" >/dev/null 2>&1; then
        echo "install-test-peers: $pkg unknown to apt, running apt-get update"
        "${SUDO[@]}" apt-get update
        break
    fi
done

echo "install-test-peers: installing ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
    installed "$pkg" || { echo "install-test-peers: $pkg failed to install" >&2; exit 1; }
    echo "install-test-peers: installed $pkg ($(dpkg-query -W -f='${Version}' "$pkg"))"
done

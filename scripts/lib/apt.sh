# Shared by the install scripts: `apt_ensure NAME PACKAGE...` installs the
# Debian packages that are missing (refreshing the package lists once, only
# when one is unknown), with sudo when not root, and fails with a message
# naming NAME (the calling script) and what could not be installed.
# Source it; it defines functions only.

apt_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_ensure() {
    local name="$1"
    shift
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "$name: need root or sudo to install: $*" >&2
            return 1
        fi
    fi
    local missing=() pkg
    for pkg in "$@"; do
        if apt_installed "$pkg"; then
            echo "$name: $pkg already installed ($(dpkg-query -W -f='${Version}' "$pkg"))"
        else
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    for pkg in "${missing[@]}"; do
        if ! apt-cache show "$pkg" >/dev/null 2>&1; then
            echo "$name: $pkg unknown to apt, running apt-get update"
            "${sudo[@]}" apt-get update
            break
        fi
    done
    echo "$name: installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}"
    for pkg in "${missing[@]}"; do
        apt_installed "$pkg" || {
            echo "$name: $pkg failed to install" >&2
            return 1
        }
        echo "$name: installed $pkg ($(dpkg-query -W -f='${Version}' "$pkg"))"
    done
}

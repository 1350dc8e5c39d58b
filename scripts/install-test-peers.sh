#!/usr/bin/env bash
# Install the third-party SIP peers the end-to-end tests drive: Debian's
# `baresip` and `linphone-cli` (linphonec), `espeak-ng` and `sox` (real
# speech for the audio matcher's own tests, host/pbx/tests/e2e_audio.rs),
# and sipvicious and
# pjsua2-python (PyPI) in a Python venv at
# ${PBX_TEST_PEERS_DIR:-$HOME/.cache/pbx-test-peers}/venv.
# Idempotent: does nothing when everything is already installed. Needs
# root (or sudo) for the Debian packages.
set -euo pipefail

PACKAGES=(baresip linphone-cli python3-venv espeak-ng sox)

# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
apt_ensure install-test-peers "${PACKAGES[@]}"

# sipvicious (sipvicious_svwar, sipvicious_svcrack) for the security tests
# (host/sip/tests/sipvicious.rs), in a venv of its own.
PEERS_DIR="${PBX_TEST_PEERS_DIR:-$HOME/.cache/pbx-test-peers}"
VENV="$PEERS_DIR/venv"
if [ -x "$VENV/bin/sipvicious_svwar" ] && [ -x "$VENV/bin/sipvicious_svcrack" ]; then
    echo "install-test-peers: sipvicious already installed in $VENV/bin"
else
    echo "install-test-peers: installing sipvicious (PyPI) into $VENV"
    mkdir -p "$PEERS_DIR"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet sipvicious
    [ -x "$VENV/bin/sipvicious_svwar" ] || { echo "install-test-peers: sipvicious failed to install" >&2; exit 1; }
    echo "install-test-peers: installed sipvicious in $VENV/bin"
fi
echo "install-test-peers: sipvicious tools: $VENV/bin/sipvicious_svwar, $VENV/bin/sipvicious_svcrack"

# pjsua2 Python bindings (the pjsua2 agent of host/sip/tests/peers/) in
# the same venv. The wheel is CPython 3.11 only (Debian 12's python3).
if "$VENV/bin/python" -c 'import pjsua2' >/dev/null 2>&1; then
    echo "install-test-peers: pjsua2-python already installed in $VENV"
else
    echo "install-test-peers: installing pjsua2-python (PyPI) into $VENV"
    if ! "$VENV/bin/pip" install --quiet pjsua2-python \
        || ! "$VENV/bin/python" -c 'import pjsua2' >/dev/null 2>&1; then
        echo "install-test-peers: pjsua2-python failed to install into $VENV:" \
            "it ships CPython 3.11 wheels only; check '$VENV/bin/python --version'" \
            "and that PyPI is reachable, or delete $VENV and rerun" >&2
        exit 1
    fi
    echo "install-test-peers: installed pjsua2-python in $VENV"
fi
echo "install-test-peers: pjsua2 python: $VENV/bin/python"
command -v linphonec >/dev/null 2>&1 \
    || { echo "install-test-peers: linphonec not on the PATH after installing linphone-cli" >&2; exit 1; }
echo "install-test-peers: linphonec: $(command -v linphonec)"

#!/usr/bin/env bash
# Install everything planner's tests need on a fresh Debian 12 machine (run as root) into .venv.
#   bash scripts/setup.sh            # system packages + .venv with planner and its dev tools
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  golang-go golang-github-vmware-govmomi-dev   # vCenter simulator (built from Debian's govmomi source)
  docker.io debootstrap                        # Docker engine and local base images
  graphviz                                     # `dot` for SVG graphs
  chromium                                     # headless browser for the report's browser tests
  openssh-client                               # Ansible over SSH to test guests
  rsync docker-compose patch                   # cutover data sync; compose spec schema; the vcsim patch
  python3-venv ca-certificates openssl         # the .venv, TLS trust store, test certificates
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
echo "setup: done ($(.venv/bin/planner --version))"

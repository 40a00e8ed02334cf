#!/usr/bin/env bash
# Installs the Debian packages Herald needs to build and test, when they are missing, and
# with --test also moto (PyPI), the AWS fake the SES/SNS signing tests start.
# As root it runs apt-get and pip; otherwise it prints the command and fails.
set -euo pipefail

# The moto release the SigV4 tests were recorded against (Tests/HeraldAppTests/SigV4MotoTests.swift).
moto_requirement='moto[server]==5.2.1'

packages=(
  pkg-config
  libcurl4-openssl-dev   # libcurl: SMTP and HTTP providers, herald simulate
  libssl-dev             # OpenSSL libcrypto: HMAC-SHA256, SHA-256
  libsqlite3-dev         # SQLite: the message store
  libmicrohttpd-dev      # GNU libmicrohttpd: the webhook server
  libpq-dev              # libpq: the PostgreSQL store
)
if [ "${1:-}" = "--test" ]; then
  packages+=(sqlite3 python3 python3-aiosmtpd openssl)   # the real SMTP server the tests start, and its certificate
  packages+=(python3-pip)                                 # to install moto below
  packages+=(postgresql)                                  # the real PostgreSQL server the tests start (initdb, pg_ctl)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Herald needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--test" ] || exit 0
# moto and its server extras, for the `python3` on PATH (the one the tests start). Finding the
# modules is enough: nothing is imported, so this costs a fraction of a second when they are there.
has_moto() {
  python3 -c 'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("moto", "flask", "flask_cors")) else 1)'
}
has_moto && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Herald's tests need moto. Install it with:  python3 -m pip install '$moto_requirement'" >&2
  exit 1
fi
echo "Installing $moto_requirement" >&2
# Debian's own python3 is "externally managed"; this CI machine is disposable, so allow it.
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
  "$moto_requirement"
has_moto

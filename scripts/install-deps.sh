#!/usr/bin/env bash
# Installs the Debian packages Herald needs to build and test, when they are missing.
# As root it runs apt-get; otherwise it prints the apt-get line and fails.
set -euo pipefail

packages=(
  pkg-config
  libcurl4-openssl-dev   # libcurl: SMTP and HTTP providers, herald simulate
  libssl-dev             # OpenSSL libcrypto: HMAC-SHA256, SHA-256
  libsqlite3-dev         # SQLite: the message store
  libmicrohttpd-dev      # GNU libmicrohttpd: the webhook server
)
if [ "${1:-}" = "--test" ]; then
  packages+=(sqlite3 python3 python3-aiosmtpd openssl)   # the real SMTP server the tests start, and its certificate
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Herald needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

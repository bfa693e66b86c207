#!/usr/bin/env bash
# Installs the Debian 12 packages minutex runs with: Kamailio (with evapi, jansson and the JSON
# modules, db_postgres for the switch's own call records, rtpengine for media), SIPp to play carriers' trunks, and Chromium for the web page's browser test.
# The packages' own daemons are not started (a temporary policy-rc.d refuses them): minutex runs
# Kamailio itself, in the foreground, under its own supervision.
set -euo pipefail

packages=(kamailio kamailio-extra-modules kamailio-json-modules kamailio-utils-modules kamailio-postgres-modules kamailio-tls-modules rtpengine-daemon sip-tester sipsak sipvicious poppler-utils chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "Debian packages already installed: ${packages[*]}"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy="yes"
fi
trap '[ -n "$created_policy" ] && $sudo rm -f "$policy"' EXIT

echo "Installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# minutex runs rtpengine itself (npm start); Debian's service would hold the media ports at boot.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now rtpengine-daemon.service >/dev/null 2>&1 || true
fi

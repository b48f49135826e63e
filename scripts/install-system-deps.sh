#!/usr/bin/env bash
# Installs the Debian packages the tests and the local stack need:
#   chromium   - browser tests of the web demo (Playwright drives Debian's Chromium)
#   prometheus - promtool, which checks and unit-tests docs/alerts.yml
#   openssh-client - ssh-keygen / ssh-agent / ssh-add for key interop tests
#   nginx      - the TLS reverse proxy of deploy/nginx (nginx -t and an end-to-end test), and the static tlog-tiles export in tests
#   systemd    - systemd-analyze, which verifies the units in deploy/systemd
#   openssl    - the test CA of the TLS end-to-end test
#   git        - the fresh-clone test clones the repository
#   wrk        - HTTP load generator of `npm run bench` (bench/log-write.bench.ts); no test needs it
#   softhsm2, opensc - a software PKCS#11 token (softhsm2-util, libsofthsm2.so) and pkcs11-tool for the HSM tests;
#              opensc's pkcs11-spy.so (package opensc-pkcs11) lets the hung-token test block a real module call
#   perl, script (bsdutils), mkfifo - essential on Debian; the hung-token and terminal-progress tests use them
# Native addons (better-sqlite3, pkcs11js) build with the machine's python3, make and g++.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v ssh-agent >/dev/null 2>&1 || missing+=(openssh-client)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || missing+=(opensc)
[ -e /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so ] || [ "$(uname -m)" != x86_64 ] || missing+=(opensc-pkcs11)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
echo "system dependencies present: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), $(promtool --version 2>&1 | head -1 | awk '{print $1, $3}'), $("$NGINX" -v 2>&1 | awk '{print $3}'), systemd $(systemd-analyze --version | head -1 | awk '{print $2}')"

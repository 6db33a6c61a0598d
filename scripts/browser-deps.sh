#!/usr/bin/env bash
# The browser the end-to-end tests drive: Debian's chromium (Playwright cannot download its own
# browsers on these machines). Installed when missing if we are root with apt-get; otherwise
# the tests fail and say how to install it.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the end-to-end tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
    || echo "warning: could not install chromium; the end-to-end tests will fail"
else
  echo "note: please install chromium (Debian/Ubuntu: apt-get install chromium) for the tests"
fi
exit 0

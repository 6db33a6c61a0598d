#!/usr/bin/env bash
# Debian packages weizhong needs beyond Python, installed when missing (root with apt-get), or
# named for whoever runs this. WeasyPrint (PDF handouts) needs Pango and a font; HarfBuzz's
# subsetter makes each handout about five times faster to write.
set -u
need=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so' || need+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi 'DejaVu Sans' || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (Debian packages for the PDF handouts)"
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 \
         && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1; } \
    || echo "warning: could not install ${need[*]}; PDF handouts may be slow or fail"
else
  echo "note: please install ${need[*]} (Debian/Ubuntu) for the PDF handouts"
fi
exit 0

#!/bin/sh
# Points the UI at its marketplace: config.json from MARKETPLACE_URL (empty: the same origin).
# Only an http(s) address is written; anything else stops the container with a sentence.
set -eu
url="${MARKETPLACE_URL:-}"
file="${MARKETPLACE_UI_CONFIG:-/usr/share/nginx/html/config.json}"
case "$url" in
  '' | http://* | https://*) ;;
  *) echo "MARKETPLACE_URL must be an http or https address, not \"$url\"." >&2; exit 1 ;;
esac
case "$url" in
  *'"'* | *'\'* | *[[:cntrl:]]*) echo "MARKETPLACE_URL may not hold a quote, a backslash or a control character." >&2; exit 1 ;;
esac
printf '{"marketplaceUrl": "%s"}\n' "$url" > "$file"

#!/bin/sh
# Re-create static/vendor/ from the npm registry (never a CDN). Node is needed only to run this,
# not by the panel: the files it writes are committed and served as they are.
#   sh static/vendor/fetch.sh
# npm pack checks each tarball against the registry's integrity; this script checks it again
# against the sha512 pinned below, so a changed package fails loudly instead of being served.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # package version sha512-integrity
    (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
    tarball="$work/$1-$2.tgz"
    got="sha512-$(openssl dgst -sha512 -binary "$tarball" | openssl base64 -A)"
    if [ "$got" != "$3" ]; then
        echo "integrity mismatch for $1@$2: $got" >&2
        exit 1
    fi
    mkdir -p "$work/$1-$2"
    tar -xzf "$tarball" -C "$work/$1-$2"
}

# htmx 4: morph swaps (innerMorph/outerMorph) are built in; hx-ws ships with it.
fetch htmx.org 4.0.1 sha512-oF7JgXhDW9UXCy/k1ZYFUQgzu/rm19ORWPSPNL91vPluB2PB9+MV55tyQdH/w7o2EAbTYUG5SDW1R60mdkdqGg==
src="$work/htmx.org-4.0.1/package"
dest=htmx.org-4.0.1
rm -rf "$dest"
mkdir -p "$dest/ext"
cp "$src/LICENSE" "$src/dist/htmx.min.js" "$dest/"
cp "$src/dist/ext/hx-ws.min.js" "$dest/ext/"
(cd "$dest" && sha256sum htmx.min.js ext/hx-ws.min.js LICENSE > SHA256SUMS)
echo "wrote $dest"

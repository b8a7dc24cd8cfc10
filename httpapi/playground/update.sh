#!/usr/bin/env bash
# update.sh re-vendors the playground's browser assets into assets/vendor/: GraphiQL, its explorer
# plugin and React/ReactDOM, from their npm packages at pinned versions, so that the playground at
# `/` loads nothing from outside the gateway (the binary embeds assets/, see playground.go).
#
# Usage (from anywhere; needs npm and network access to the npm registry):
#
#   httpapi/playground/update.sh [GRAPHIQL_VERSION [EXPLORER_VERSION [REACT_VERSION]]]
#
# A version left out keeps the one in assets/vendor/VERSIONS; with no argument the pinned
# versions are fetched again (the files must come out identical). REACT_VERSION pins react and
# react-dom alike. Then run `go test ./httpapi/playground/ && go test -run TestPlaygroundBrowser .`
# and commit assets/vendor/.
#
# The script is deliberately not a `go generate` step: `go generate ./...` must need no network.
# npm runs in a temporary folder that is removed afterwards; no package-lock.json or npm metadata
# is kept, only the dist files the page loads, their licences and VERSIONS (each package's
# version and tarball integrity, and each file's SHA-256).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/assets/vendor"

pinned() { # pinned NAME: the version of package NAME recorded in VERSIONS
  sed -n "s|^$1@\([^ ]*\) .*|\1|p" "$vendor/VERSIONS" 2>/dev/null | head -n1
}
graphiql="${1:-$(pinned graphiql)}"
explorer="${2:-$(pinned @graphiql/plugin-explorer)}"
react="${3:-$(pinned react)}"
if [ -z "$graphiql" ] || [ -z "$explorer" ] || [ -z "$react" ]; then
  echo "usage: $0 GRAPHIQL_VERSION EXPLORER_VERSION REACT_VERSION (no VERSIONS file to take them from)" >&2
  exit 2
fi
command -v npm >/dev/null || { echo "update.sh needs npm (Debian: apt-get install npm)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
specs=("graphiql@$graphiql" "@graphiql/plugin-explorer@$explorer" "react@$react" "react-dom@$react")
# npm pack checks each tarball against the registry's integrity and prints it in --json.
npm pack --silent --json "${specs[@]}" >pack.json
mkdir x
for spec in "${specs[@]}"; do
  name="${spec%@*}"
  tgz="$(node -e 'const p=JSON.parse(require("fs").readFileSync("pack.json"));process.stdout.write(p.find(e=>e.name===process.argv[1]).filename)' "$name")"
  mkdir -p "x/$name"
  tar xzf "$tgz" -C "x/$name" --strip-components=1
done

# The files the page loads, under names without versions (the gateway serves them under
# content-hashed paths). Source-map comments are dropped: the maps are not vendored, and a
# browser's developer tools would otherwise ask the gateway for them.
out="$tmp/out"
mkdir -p "$out"
copy() { # copy SRC DST: SRC without its sourceMappingURL comment
  grep -v -E '^[[:space:]]*(//# sourceMappingURL=|/\*# sourceMappingURL=.*\*/[[:space:]]*$)' "$1" >"$out/$2" || true
  [ -s "$out/$2" ] || { echo "update.sh: $1 is missing or empty" >&2; exit 1; }
}
copy x/react/umd/react.production.min.js react.production.min.js
copy x/react-dom/umd/react-dom.production.min.js react-dom.production.min.js
copy x/graphiql/graphiql.min.js graphiql.min.js
copy x/graphiql/graphiql.min.css graphiql.min.css
copy x/@graphiql/plugin-explorer/dist/index.umd.js plugin-explorer.umd.js
copy x/@graphiql/plugin-explorer/dist/style.css plugin-explorer.css
cp x/react/LICENSE "$out/LICENSE.react"
cp x/react-dom/LICENSE "$out/LICENSE.react-dom"
cp x/graphiql/LICENSE "$out/LICENSE.graphiql"
# @graphiql/plugin-explorer ships no LICENSE file; its package.json says MIT, as GraphiQL's.
node -e 'const p=require(process.argv[1]);if(p.license!=="MIT"){console.error("@graphiql/plugin-explorer: licence "+p.license+", not MIT");process.exit(1)}' "$tmp/x/@graphiql/plugin-explorer/package.json"

# Nothing in the vendored files may point the browser elsewhere at run time: no CSS import or
# url() other than data: URIs.
if grep -E -o '@import|url\((["'\'']?)(https?:)?//' "$out"/*.css | grep -q .; then
  echo "update.sh: a vendored stylesheet imports or loads a URL; the playground must load nothing from outside" >&2
  exit 1
fi

{
  echo "# The playground's vendored assets (written by update.sh; do not edit by hand)."
  echo "# package@version integrity-of-its-npm-tarball"
  for spec in "${specs[@]}"; do
    name="${spec%@*}"
    node -e 'const p=JSON.parse(require("fs").readFileSync("pack.json"));const e=p.find(e=>e.name===process.argv[1]);process.stdout.write(e.name+"@"+e.version+" "+e.integrity+"\n")' "$name"
  done
  echo "# sha256 file"
  (cd "$out" && sha256sum -- *.js *.css LICENSE.* | sed 's/  / /')
} >"$out/VERSIONS"

rm -rf "$vendor"
mkdir -p "$vendor"
cp "$out"/* "$vendor/"
echo "vendored into $vendor:"
sed -n 's/^\([^#][^ ]*@[^ ]*\) .*/  \1/p' "$vendor/VERSIONS"

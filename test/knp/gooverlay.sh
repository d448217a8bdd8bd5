#!/usr/bin/env bash
# gooverlay.sh runs a go command in test/knp with kube-network-policies'
# package pkg/networkpolicy extended by export.go.in (see README.md), e.g.
#   test/knp/gooverlay.sh test -run Differential ./...
#
# The go command refuses overlays of files inside the module cache, so the
# agent's module is served from a directory that exists only in the overlay:
# a temporary modfile (go.mod plus one replace directive) replaces
# sigs.k8s.io/kube-network-policies with that directory, and the overlay maps
# each of its files to the unmodified file in the module cache, plus
# export.go.in as one more file of pkg/networkpolicy. Nothing is copied.
set -euo pipefail
cd "$(dirname "$0")"
go=${GO:-go}
mod=sigs.k8s.io/kube-network-policies
dir=$("$go" list -m -f '{{.Dir}}' "$mod")
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	"$go" mod download "$mod"
	dir=$("$go" list -m -f '{{.Dir}}' "$mod")
fi
version=$("$go" list -m -f '{{.Version}}' "$mod")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The directory is stable, so that the build cache keeps the compiled
# package between runs, and empty: the files come from the overlay, but vet
# and cgo chdir into a package's directory.
virt=${XDG_CACHE_HOME:-$HOME/.cache}/netpolc/knp/kube-network-policies@$version
mkdir -p "$virt/pkg/networkpolicy"
cp go.mod "$tmp/go.mod"
cp go.sum "$tmp/go.sum"
printf '\nreplace %s => %s\n' "$mod" "$virt" >>"$tmp/go.mod"
{
	printf '{"Replace":{'
	printf '"%s/go.mod":"%s/go.mod"' "$virt" "$dir"
	for f in "$dir"/pkg/networkpolicy/*.go; do
		case $f in *_test.go) continue ;; esac
		printf ',"%s/pkg/networkpolicy/%s":"%s"' "$virt" "$(basename "$f")" "$f"
	done
	printf ',"%s/pkg/networkpolicy/zz_netpolc_export.go":"%s/export.go.in"' "$virt" "$PWD"
	printf '}}\n'
} >"$tmp/overlay.json"
cmd=$1
shift
"$go" "$cmd" -modfile="$tmp/go.mod" -overlay="$tmp/overlay.json" "$@"

#!/usr/bin/env bash
# Puts the Azure REST example files the fabric's fidelity tests replay into <repo>/../shared/azure-api-examples,
# downloading each from the public Azure/azure-rest-api-specs repository at the commit named in
# build/azure-api-examples.tsv. Files already there are left as they are. For machines (such as a fresh CI
# runner) that do not have the shared examples beside the repository.
#   bash build/fetch-azure-examples.sh [--print]   (--print lists the URLs instead of downloading)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/../shared/azure-api-examples"
print=false
[[ "${1:-}" == "--print" ]] && print=true
fetched=0
# fetch <list.tsv> <folder>: each listed file not yet in the folder is downloaded into it.
fetch() {
  local list="$1" into="$2" file source commit url
  while IFS=$'\t' read -r file source commit; do
    [[ -z "$file" || "$file" == \#* ]] && continue
    url="https://raw.githubusercontent.com/Azure/azure-rest-api-specs/$commit/$source"
    if $print; then echo "$file $url"; continue; fi
    [[ -f "$into/$file" ]] && continue
    mkdir -p "$(dirname "$into/$file")"
    curl --fail --silent --show-error --location --retry 3 --output "$into/$file.tmp" "$url"
    mv "$into/$file.tmp" "$into/$file"
    fetched=$((fetched + 1))
  done < "$list"
}
fetch "$root/build/azure-api-examples.tsv" "$target"
# The examples kept apart in ../shared/azure-api-examples-next (the tests that model one read it from there).
fetch "$root/build/azure-api-examples-next.tsv" "$root/../shared/azure-api-examples-next"
$print || echo "Azure REST examples in $target and ${target}-next ($fetched downloaded)."

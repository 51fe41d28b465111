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
while IFS=$'\t' read -r file source commit; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  url="https://raw.githubusercontent.com/Azure/azure-rest-api-specs/$commit/$source"
  if $print; then echo "$file $url"; continue; fi
  [[ -f "$target/$file" ]] && continue
  mkdir -p "$(dirname "$target/$file")"
  curl --fail --silent --show-error --location --retry 3 --output "$target/$file.tmp" "$url"
  mv "$target/$file.tmp" "$target/$file"
  fetched=$((fetched + 1))
done < "$root/build/azure-api-examples.tsv"
$print || echo "Azure REST examples in $target ($fetched downloaded)."

# Examples a test suite models apart from the fidelity table (DrillFidelityTests), beside them in azure-api-examples-next.
next="$root/../shared/azure-api-examples-next"
while IFS=$'\t' read -r file source commit; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  url="https://raw.githubusercontent.com/Azure/azure-rest-api-specs/$commit/$source"
  if $print; then echo "$file $url"; continue; fi
  [[ -f "$next/$file" ]] && continue
  mkdir -p "$(dirname "$next/$file")"
  curl --fail --silent --show-error --location --retry 3 --output "$next/$file.tmp" "$url"
  mv "$next/$file.tmp" "$next/$file"
done < "$root/build/azure-api-examples-next.tsv"

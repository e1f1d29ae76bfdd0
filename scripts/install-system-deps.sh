#!/usr/bin/env bash
# Installs the OS packages doc2video needs, when missing (Debian/Ubuntu, as root or with sudo):
#   redis-server  the queue (the CLI and tests start their own), ffmpeg + espeak-ng + fonts  the
#   offline video renderer, qpdf  test fixtures (encrypted PDFs).
set -euo pipefail
pkgs=()
command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
command -v ffmpeg >/dev/null 2>&1 || pkgs+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || pkgs+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || pkgs+=(espeak-ng)
command -v qpdf >/dev/null 2>&1 || pkgs+=(qpdf)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || pkgs+=(fonts-dejavu-core)
if [ ${#pkgs[@]} -eq 0 ]; then exit 0; fi
sudo=""
if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
echo "Installing: ${pkgs[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}"

#!/usr/bin/env bash
# Installs everything Auscult needs on a Debian/Ubuntu machine, then builds it.
#   - Debian packages: ALSA headers (naudiodon's PortAudio build), and what the test suite
#     drives for real: Chromium (UI tests), espeak-ng and sox (speech/tone fixtures),
#     poppler-utils (PDF reports rendered to PNG), fonts-noto-cjk (CJK names in the UI and the
#     PDF report), PostgreSQL (site-mode tests start a throwaway cluster) and libpq-dev (pg-native's
#     libpq binding compiles against it).
#   - npm packages from package-lock.json (npm ci), which also compiles TypeScript, bundles the
#     renderer and prepares the models (see README: AUSCULT_MODEL_SOURCE).
set -euo pipefail
cd "$(dirname "$0")"

packages=(libasound2-dev chromium espeak-ng sox poppler-utils fonts-noto-cjk postgresql libpq-dev)
if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
  fi
else
  echo "setup: not a Debian-like system; install these yourself: ${packages[*]}" >&2
fi

# onnxruntime-node's postinstall would fetch optional CUDA libraries: Auscult runs on the CPU.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci

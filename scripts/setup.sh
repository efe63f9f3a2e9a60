#!/usr/bin/env bash
# Idempotent set-up: FFmpeg (through the OS package manager when missing), a virtual env in .venv
# with the package installed, and with --test what the test suite needs (Qt runtime libraries,
# Chromium + ChromeDriver and hls.js for the player test). Safe to run again: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1
VENV=${VENV:-.venv}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root to run: $*"; return 1; fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing system packages: ${missing[*]}"
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$cand"; return 0; fi
  done
  return 1
}

os=$(uname -s)
has_apt=0; command -v apt-get >/dev/null && has_apt=1

# 1. FFmpeg + ffprobe
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  if [ $has_apt = 1 ]; then apt_install ffmpeg
  elif [ "$os" = Darwin ] && command -v brew >/dev/null; then say "installing ffmpeg with Homebrew"; brew install ffmpeg
  else say "ffmpeg/ffprobe not found: install FFmpeg (https://ffmpeg.org/download.html) and put it on PATH"; exit 1
  fi
fi

# 2. Python + venv (Debian splits venv and the Qt runtime libraries into packages of their own)
if [ $has_apt = 1 ]; then
  apt_install python3-venv libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
fi
PY=$(find_python) || { say "Python 3.11 or newer is required"; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual env in $VENV ($($PY --version))"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.installed-$( (cat pyproject.toml; echo $want_test) | cksum | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
  say "installing hlsstudio into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  if [ $want_test = 1 ]; then "$VENV/bin/python" -m pip install -q -e ".[dev]"; else "$VENV/bin/python" -m pip install -q -e .; fi
  rm -f "$VENV"/.installed-*; touch "$stamp"
fi

# 3. Test-only tools: Chromium + ChromeDriver, Node/npm and hls.js for the player test
if [ $want_test = 1 ]; then
  if [ $has_apt = 1 ]; then
    apt_install chromium chromium-driver xvfb
    command -v npm >/dev/null || apt_install nodejs npm
  fi
  if [ -f tests/player/package.json ] && [ ! -f tests/player/node_modules/hls.js/dist/hls.min.js ]; then
    say "installing hls.js for the player test"
    (cd tests/player && npm ci --silent --no-audit --no-fund)
  fi
fi
say "ready"

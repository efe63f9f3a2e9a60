#!/usr/bin/env bash
# Idempotent set-up: FFmpeg (through the OS package manager when missing), a virtual env in .venv
# with the package installed and the Qt runtime libraries its window needs on X11, and with --test
# what the test suite needs (Chromium + ChromeDriver, hls.js and Shaka Player, and GStreamer for the
# player tests, Xvfb and x11-utils for the window test). Safe to run again: each step checks first.
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

# An argument "a|b" names alternatives: the first installed one counts, else the first this distribution
# has (Debian 13 and Ubuntu 24.04 renamed libraries such as libglib2.0-0 to libglib2.0-0t64). A name the
# distribution does not know at all is reported and skipped rather than failing the whole install.
apt_updated=0
deb_installed() { [[ " $(dpkg-query -W -f='${db:Status-Status} ' "$1" 2>/dev/null) " == *" installed "* ]]; }
deb_known() {  # an installable version exists (not a purely virtual or unknown name)
  local candidate
  candidate=$(LC_ALL=C apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ]
}
apt_install() {
  local missing=() wanted=() spec alt pick
  for spec in "$@"; do
    pick=""
    for alt in ${spec//|/ }; do deb_installed "$alt" && { pick=$alt; break; }; done
    [ -n "$pick" ] || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  for spec in "${missing[@]}"; do
    pick=""
    for alt in ${spec//|/ }; do deb_known "$alt" && { pick=$alt; break; }; done
    if [ -n "$pick" ]; then wanted+=("$pick"); else say "no package ${spec//|/ or } in this distribution: skipped"; fi
  done
  [ ${#wanted[@]} -eq 0 ] && return 0
  say "installing system packages: ${wanted[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
}

# What PySide6's Qt needs from the system to open a window on X11 (its xcb platform plugin, libqxcb.so,
# and libQt6XcbQpa.so.6 it links; `ldd` on both lists them). libxcb-cursor0 is required at plugin load
# since Qt 6.5; libxcb-xinerama0 is on Qt's list of X11 requirements. Wayland sessions use XWayland
# through the same plugin unless QT_QPA_PLATFORM says otherwise.
QT_RUNTIME_PACKAGES=(
  libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 "libglib2.0-0t64|libglib2.0-0"
  libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1
  libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0
)

find_python() {
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
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

# 2. Python + venv, and the Qt runtime libraries for a window on X11 (Debian splits them into packages)
if [ $has_apt = 1 ]; then
  apt_install python3-venv "${QT_RUNTIME_PACKAGES[@]}"
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

# 3. Test-only tools: Chromium + ChromeDriver, Node/npm and the npm packages of tests/player (hls.js,
#    Shaka Player) for the browser player tests; gst-launch-1.0 with the HLS demuxer (-bad), HTTP source
#    and AAC parser (-good) and the H.264/AAC decoders (-libav) for the GStreamer player test; Xvfb and
#    xwininfo (x11-utils) for the test that opens the app's window on an X server (it starts Xvfb itself,
#    so xvfb-run and xauth are not needed); redis-server for the render farm's tests (each starts its own
#    on a loopback port, so the packaged service may stay stopped)
GSTREAMER_PACKAGES=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-libav
)
if [ $want_test = 1 ]; then
  if [ $has_apt = 1 ]; then
    apt_install chromium chromium-driver xvfb x11-utils redis-server "${GSTREAMER_PACKAGES[@]}"
    command -v npm >/dev/null || apt_install nodejs npm
  fi
  # npm ci again whenever package-lock.json changed since the last install (a stamp in node_modules)
  if [ -f tests/player/package-lock.json ]; then
    npm_stamp="tests/player/node_modules/.installed-$(cksum < tests/player/package-lock.json | cut -d' ' -f1)"
    if [ ! -f "$npm_stamp" ]; then
      say "installing the player test's npm packages (hls.js, Shaka Player)"
      (cd tests/player && npm ci --silent --no-audit --no-fund)
      rm -f tests/player/node_modules/.installed-*; touch "$npm_stamp"
    fi
  fi
fi
say "ready"

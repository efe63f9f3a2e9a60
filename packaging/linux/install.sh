#!/bin/sh
# Put HLS Studio in the application menu of the current user (no root needed):
#
#   ./install.sh [APP_DIR]              run from the unpacked app folder (APP_DIR defaults to this folder)
#   ./install.sh --uninstall            remove the menu entry and the icon again
#
# Writes $XDG_DATA_HOME/applications/hlsstudio.desktop (default ~/.local/share/applications) with the
# absolute path of the app, and the icon into $XDG_DATA_HOME/icons/hicolor. Move the app folder first,
# then run this; after moving it again, run this again.
set -eu

data=${XDG_DATA_HOME:-$HOME/.local/share}
desktop_file=$data/applications/hlsstudio.desktop
png_icon=$data/icons/hicolor/256x256/apps/hlsstudio.png
svg_icon=$data/icons/hicolor/scalable/apps/hlsstudio.svg

refresh_menus() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$desktop_file" "$png_icon" "$svg_icon"
  refresh_menus
  echo "HLS Studio removed from the application menu"
  exit 0
fi

app_dir=$(cd "${1:-$(dirname "$0")}" && pwd)
if [ ! -x "$app_dir/hlsstudio" ]; then
  echo "install.sh: no hlsstudio executable in $app_dir (pass the unpacked app folder)" >&2
  exit 1
fi
icons=
for candidate in "$app_dir/_internal/resources/icons" "$app_dir/resources/icons"; do
  if [ -d "$candidate" ]; then icons=$candidate; break; fi
done
template=$app_dir/hlsstudio.desktop
[ -f "$template" ] || template=$(dirname "$0")/hlsstudio.desktop

# Exec takes a quoted path (the folder may contain spaces); quote characters the spec reserves.
exec_path=$(printf '%s' "$app_dir/hlsstudio" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g')
mkdir -p "$(dirname "$desktop_file")"
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    Exec=*) printf 'Exec="%s" %%F\n' "$exec_path" ;;
    TryExec=*) printf 'TryExec=%s\n' "$app_dir/hlsstudio" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$template" > "$desktop_file.tmp"
mv "$desktop_file.tmp" "$desktop_file"

if [ -n "$icons" ] && [ -f "$icons/hlsstudio.png" ]; then
  mkdir -p "$(dirname "$png_icon")"
  cp "$icons/hlsstudio.png" "$png_icon"
fi
if [ -n "$icons" ] && [ -f "$icons/hlsstudio.svg" ]; then
  mkdir -p "$(dirname "$svg_icon")"
  cp "$icons/hlsstudio.svg" "$svg_icon"
fi
touch "$data/icons/hicolor" 2>/dev/null || true
refresh_menus
echo "HLS Studio added to the application menu ($desktop_file)"

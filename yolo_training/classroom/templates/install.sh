#!/bin/sh
# Installs the yolo-training course on this computer (Linux or macOS) from this folder, without internet.
#
#   sh install.sh              installs into ~/yolo-course
#   sh install.sh FOLDER       installs into FOLDER
#   PYTHON=/path/to/python3.11 sh install.sh    uses that Python
#
# Written by `yolo-training workshop pack` on @@DATE@@ for Python @@PYTHONS@@.
set -eu

PACK=$(cd "$(dirname "$0")" && pwd)
DEST=${1:-"$HOME/yolo-course"}
PYTHONS="@@PYTHONS@@"
EXTRAS="@@EXTRAS@@"

say() { printf '%s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PLATFORM=linux ;;
  Darwin-arm64) PLATFORM=macos ;;
  Darwin-x86_64) PLATFORM=macos-intel ;;
  *) fail "this pack has no packages for $(uname -s) $(uname -m). Ask your instructor for a pack made for it." ;;
esac

# The pack is the only source: no index, no pip settings of this computer (they could point at the internet).
for var in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p'); do unset "$var"; done
PIP_CONFIG_FILE=/dev/null
PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_CONFIG_FILE PIP_DISABLE_PIP_VERSION_CHECK

# A Python whose version the pack has packages for.
PY=""
for candidate in ${PYTHON:-} $(for v in $PYTHONS; do printf 'python%s ' "$v"; done) python3 python; do
  command -v "$candidate" >/dev/null 2>&1 || continue
  version=$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
  tag=$(printf '%s' "$version" | tr -d .)
  if [ -f "$PACK/locks/$PLATFORM-cp$tag.txt" ]; then PY=$candidate; break; fi
done
[ -n "$PY" ] || fail "no Python $PYTHONS found (this pack was made for Python $PYTHONS on $PLATFORM). Install Python $PYTHONS from python.org, or run: PYTHON=/path/to/python sh install.sh"
LOCK="$PACK/locks/$PLATFORM-cp$tag.txt"

start=$(date +%s)
say "Installing the course into $DEST with $PY (Python $version, $PLATFORM), from $PACK"
mkdir -p "$DEST"
if [ ! -x "$DEST/.venv/bin/python" ]; then
  "$PY" -m venv "$DEST/.venv" || fail "Python could not create a virtual environment in $DEST/.venv. On Debian or Ubuntu: sudo apt install python$version-venv, then run this script again."
fi
"$DEST/.venv/bin/python" -m pip install --no-index --find-links "$PACK/wheels" --constraint "$LOCK" "yolo-training[$EXTRAS]" \
  || fail "installing the packages from $PACK/wheels failed (see above). Nothing was downloaded; run the script again, or ask your instructor."

# The course files: never over a student's own work (a file that is there already is kept).
(cd "$PACK/course" && find . -type f) | while IFS= read -r file; do
  if [ ! -e "$DEST/$file" ]; then
    mkdir -p "$(dirname "$DEST/$file")"
    cp "$PACK/course/$file" "$DEST/$file"
  fi
done

cat > "$DEST/start.sh" <<START
#!/bin/sh
# Starts the course: JupyterLab in this folder, with the course's Python.
YOLO_TRAINING_HOME="$DEST"
export YOLO_TRAINING_HOME
cd "$DEST" && exec "$DEST/.venv/bin/jupyter" lab
START
chmod +x "$DEST/start.sh"

say ""
YOLO_TRAINING_HOME="$DEST" "$DEST/.venv/bin/yolo-training" doctor || say "(yolo-training doctor reported a problem: see above)"
end=$(date +%s)
say ""
say "Installed in $((end - start)) s. Start the course with: sh $DEST/start.sh"

# Sourced by ./run and ./test: creates .venv if missing and (re)installs the project when
# pyproject.toml changed since the last install. EXTRAS=dev adds the test tools.
VENV="${VENV:-$PWD/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
spec="."
[ -n "${EXTRAS:-}" ] && spec=".[${EXTRAS}]"
stamp="$VENV/.archipel-installed-${EXTRAS:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/pip" install -q -e "$spec"
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"

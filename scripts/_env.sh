# Shared set-up for scripts/run and scripts/test (sourced, not executed).
# Creates .venv with Python >= 3.11 if missing and installs the project when setup.cfg changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for cand in "${SIAGA_PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      echo "$cand"; return 0
    fi
  done
  echo "error: Python 3.11 or newer is required (set SIAGA_PYTHON to its path)" >&2
  return 1
}

ensure_venv() {
  local extras="$1"  # "" or "[test]"
  if [ ! -x .venv/bin/python ]; then
    local py; py="$(find_python)"
    echo "==> creating virtualenv .venv with $py"
    "$py" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
  fi
  local stamp=".venv/.installed${extras}"
  if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "==> installing siaga-bencana${extras}"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
    touch "$stamp"
  fi
  # Translations are compiled from the committed .po files on every start (fast).
  .venv/bin/pybabel compile -d siaga/translations >/dev/null
}

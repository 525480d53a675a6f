# Sourced by bin/demo, bin/test and bin/lock: make .venv and install hms into it.
#
#   hms_venv          installs hms with the locked versions of its dependencies
#   hms_venv test     the same with its test tools (requirements/test.txt)
#   hms_venv_newest   hms and its test tools at the newest versions pyproject.toml allows,
#                     in .venv-newest (for `bash bin/test --newest`), and what differs from the lock
#
# Needs only Python >= 3.11 with pip. The versions come from requirements/*.txt, exported from
# uv.lock by bin/lock with a hash for every file, so every machine installs the same bytes. uv
# (installed into .venv) does the install when it can, pip when it cannot (or HMS_NO_UV=1). A
# stamp in .venv remembers what was installed from which pyproject.toml and lock, so a second
# run starts at once and a changed lock is installed again.

HMS_UV="uv==0.13.10"

hms_say() { printf '%s\n' "$*" >&2; }

hms_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    hms_say "hms needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)."
    return 1
}

# pip for a venv: its own, or the outer Python's pip pointed at it (pip >= 22.3) when the venv
# was made without pip (Debian without python3-venv).   hms_pip VENV pip-arguments...
hms_pip() {
    local venv="$1"
    shift
    if "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        "$venv/bin/python" -m pip --quiet --quiet --disable-pip-version-check "$@"
    else
        "$HMS_OUTER_PYTHON" -m pip --quiet --quiet --disable-pip-version-check --python "$venv/bin/python" "$@"
    fi
}

# Installs into VENV with uv, or with pip when there is no uv.   hms_install VENV arguments...
hms_install() {
    local venv="$1"
    shift
    if [ -x .venv/bin/uv ] && [ "${HMS_NO_UV:-}" != 1 ]; then
        VIRTUAL_ENV="$PWD/$venv" .venv/bin/uv pip install --quiet --compile-bytecode "$@" && return 0
        hms_say "uv could not install into $venv; trying pip."
    fi
    hms_pip "$venv" install "$@"
}

hms_make_venv() { # hms_make_venv VENV: a Python >= 3.11 venv there, kept if it is one already
    local venv="$1"
    HMS_OUTER_PYTHON="$(hms_python)" || return 1
    "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && return 0
    rm -rf "$venv"
    if ! "$HMS_OUTER_PYTHON" -m venv "$venv" >/dev/null 2>&1; then
        # Debian's python3 without python3-venv has no ensurepip: make the venv bare.
        rm -rf "$venv"
        "$HMS_OUTER_PYTHON" -m venv --without-pip "$venv" || return 1
    fi
}

# .venv with uv in it (the installer, and bin/lock's resolver).
hms_uv() {
    hms_make_venv .venv || return 1
    [ -x .venv/bin/uv ] && return 0
    [ "${HMS_NO_UV:-}" = 1 ] && return 1
    hms_pip .venv install "$HMS_UV" >/dev/null 2>&1 || { hms_say "Could not install uv."; return 1; }
}

hms_venv() {
    local extra="${1:-base}" want stamp
    hms_make_venv .venv || return 1
    want="$(cat pyproject.toml requirements/base.txt requirements/test.txt \
        | "$HMS_OUTER_PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    stamp=".venv/.hms-installed"
    # The test lock holds every package of the plain one at the same version.
    if [ -f "$stamp" ] && [ -x .venv/bin/hms ] \
        && { grep -qx "$want $extra" "$stamp" || grep -qx "$want test" "$stamp"; }; then
        return 0
    fi

    hms_say "Installing hms and the versions requirements/$extra.txt locks into .venv" \
        "(the first time, a few minutes)..."
    hms_uv || hms_say "Installing with pip."
    hms_install .venv --require-hashes -r "requirements/$extra.txt" || return 1
    hms_install .venv --no-deps -e . || return 1
    printf '%s %s\n' "$want" "$extra" >>"$stamp"
    hms_say "Installed."
}

hms_venv_newest() {
    hms_say "Installing hms and the newest versions pyproject.toml allows into .venv-newest..."
    hms_uv || hms_say "Installing with pip."
    rm -rf .venv-newest
    hms_make_venv .venv-newest || return 1
    hms_install .venv-newest --upgrade -e ".[test]" || return 1
    hms_say "Versions that differ from requirements/test.txt (locked -> newest):"
    .venv-newest/bin/python bin/_newer_than_lock.py requirements/test.txt >&2
}

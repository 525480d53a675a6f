# Sourced by bin/demo and bin/test: make .venv and install hms into it, quietly.
#
#   hms_venv        installs hms
#   hms_venv test   installs hms with its test tools (pip's `-e .[test]`)
#
# Needs only Python >= 3.11 with pip. uv (installed into .venv) does the install when it can,
# pip when it cannot. A stamp in .venv remembers what was installed from which pyproject.toml,
# so a second run starts at once.

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

# pip for .venv: its own, or the outer Python's pip pointed at it (pip >= 22.3) when the venv
# was made without pip (Debian without python3-venv).
hms_pip() {
    if .venv/bin/python -m pip --version >/dev/null 2>&1; then
        .venv/bin/python -m pip --quiet --disable-pip-version-check "$@"
    else
        "$HMS_OUTER_PYTHON" -m pip --quiet --disable-pip-version-check --python .venv/bin/python "$@"
    fi
}

hms_venv() {
    local extra="${1:-}" spec="." stamp want
    [ -n "$extra" ] && spec=".[$extra]"
    HMS_OUTER_PYTHON="$(hms_python)" || return 1

    if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        rm -rf .venv
        if ! "$HMS_OUTER_PYTHON" -m venv .venv >/dev/null 2>&1; then
            # Debian's python3 without python3-venv has no ensurepip: make the venv bare.
            rm -rf .venv
            "$HMS_OUTER_PYTHON" -m venv --without-pip .venv || return 1
        fi
    fi

    want="$("$HMS_OUTER_PYTHON" -c \
        'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' <pyproject.toml)"
    stamp=".venv/.hms-installed"
    # An install with the test tools also satisfies a plain one.
    if [ -f "$stamp" ] && [ -x .venv/bin/hms ] \
        && { grep -qx "$want ${extra:-base}" "$stamp" || grep -qx "$want test" "$stamp"; }; then
        return 0
    fi

    if [ ! -x .venv/bin/uv ]; then
        hms_pip install uv >/dev/null 2>&1 || hms_say "Could not install uv; using pip."
    fi
    if ! { [ -x .venv/bin/uv ] \
        && VIRTUAL_ENV="$PWD/.venv" .venv/bin/uv pip install --quiet -e "$spec"; }; then
        hms_say "uv could not install hms; trying pip."
        hms_pip install -e "$spec" || return 1
    fi
    printf '%s %s\n' "$want" "${extra:-base}" >>"$stamp"
}

#!/usr/bin/env bash
# Creates (or brings up to date) the virtual environment that vkd_mm runs in.
#
#   tools/setup_env.sh            # venv at $VKD_MM_VENV, default ./.venv
#
# Idempotent: when the requirement files and setup.py are unchanged since the last successful run,
# and the venv's editable install points at this checkout, it exits within seconds.
# mmcv 2.1.0 has no wheel on PyPI; it is built from source against the installed torch (about
# 17 minutes on 2 cores) unless a wheelhouse named by pip's find-links setting (PIP_FIND_LINKS)
# holds a wheel that imports with that torch.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VKD_MM_VENV:-$repo/.venv}
python=${PYTHON:-python3}
req=$repo/requirements
stamp=$venv/.vkd_mm_requirements.sha256

digest=$(cat "$req"/*.txt "$repo/setup.py" "$0" | sha256sum | cut -d' ' -f1)

editable_points_here() {
    [ -x "$venv/bin/python" ] || return 1
    local where
    where=$(cd / && "$venv/bin/python" -c 'import vkd_mm, os; print(os.path.dirname(os.path.dirname(os.path.abspath(vkd_mm.__file__))))' 2>/dev/null) || return 1
    [ "$where" = "$repo" ]
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
    if ! editable_points_here; then
        "$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$repo"
    fi
    exit 0
fi

echo "[setup_env] preparing $venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --disable-pip-version-check -c "$req/constraints.txt")

"${pip[@]}" -q --upgrade pip
"${pip[@]}" -q -r "$req/build.txt"
"${pip[@]}" -r "$req/runtime.txt"

mmcv_ops_work() {
    (cd / && "$venv/bin/python" -c 'import mmcv, mmcv.ops; from mmcv.ops import nms, MultiScaleDeformableAttention; assert mmcv.__version__ == "2.1.0"') >/dev/null 2>&1
}
export MMCV_WITH_OPS=1
if ! mmcv_ops_work; then
    # No build isolation: the ops must compile against the torch installed above. No wheel cache:
    # pip's cache key ignores the torch version, so a cached wheel may be built for another torch.
    "${pip[@]}" --no-build-isolation --no-cache-dir -r "$req/mmcv.txt" \
        || { echo "[setup_env] mmcv install failed" >&2; exit 1; }
    if ! mmcv_ops_work; then
        echo "[setup_env] the mmcv wheel found does not load with this torch; building from source" >&2
        "${pip[@]}" --no-build-isolation --no-cache-dir --force-reinstall --no-deps \
            --no-binary mmcv -r "$req/mmcv.txt"
        mmcv_ops_work || { echo "[setup_env] mmcv ops do not import after a source build" >&2; exit 1; }
    fi
fi

# setuptools stays pinned: mmagic's requirements would otherwise lift it past 70.
"${pip[@]}" -r "$req/mmdet.txt" -r "$req/mmpretrain.txt" -r "$req/mmagic.txt" -r "$req/tests.txt" \
    -r "$req/build.txt"
"$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$repo"

(cd / && "$venv/bin/python" -c 'import vkd_mm, mmdet.models, mmpretrain.models, mmagic.models, mmagic.datasets.transforms') \
    || { echo "[setup_env] the installed stack does not import" >&2; exit 1; }
echo "$digest" > "$stamp"
echo "[setup_env] ready: $venv"

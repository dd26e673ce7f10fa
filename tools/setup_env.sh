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
#
# GPU machines: mmcv's CUDA kernels (multi-scale deformable attention, nms, ...) compile only
# where a CUDA toolkit (nvcc) is installed. When torch sees a GPU and nvcc is found ($CUDA_HOME,
# PATH or /usr/local/cuda) with torch's CUDA major version, mmcv is built from source with its
# CUDA ops for this GPU (TORCH_CUDA_ARCH_LIST, default: the GPU's compute capability) unless the
# installed one has them. Otherwise the ops stay CPU-only and the script says why: ViDT then
# runs mmcv's slower pure-PyTorch deformable attention on the GPU (README: GPU machines).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VKD_MM_VENV:-$repo/.venv}
python=${PYTHON:-python3}
req=$repo/requirements
stamp=$venv/.vkd_mm_requirements.sha256

nvcc_path=$({ [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ] && echo "$CUDA_HOME/bin/nvcc"; } \
    || command -v nvcc 2>/dev/null \
    || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)
gpu_visible() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q GPU; }
# cuda: build mmcv's CUDA ops; cpu: its CPU ops only. Part of the digest, so that a venv made on
# a CPU machine gets its CUDA ops when the set-up next runs on a GPU machine with a toolkit.
if gpu_visible && [ -n "$nvcc_path" ]; then mmcv_ops=cuda; else mmcv_ops=cpu; fi

# the hosts of vkd_mm/registry.py's HOST_MODULES (read from the source: nothing is installed yet):
# their requirements files, and their vkd_mm packages, imported once everything is installed
host_requirements=$("$python" "$repo/tools/list_hosts.py" requirements)
host_packages=$("$python" "$repo/tools/list_hosts.py" packages)
host_pip_args=()
while read -r file; do host_pip_args+=(-r "$file"); done <<< "$host_requirements"

digest=$({ cat "$req"/*.txt "$repo/setup.py" "$0"; echo "mmcv_ops=$mmcv_ops"; \
    echo "hosts=$host_packages"; } | sha256sum | cut -d' ' -f1)

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
mmcv_has_cuda_ops() {
    (cd / && "$venv/bin/python" -c 'import sys; from mmcv.ops import get_compiling_cuda_version as v; sys.exit(v() == "not available")') >/dev/null 2>&1
}
torch_sees_gpu() {
    (cd / && "$venv/bin/python" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())') >/dev/null 2>&1
}
if [ "$mmcv_ops" = cuda ] && ! torch_sees_gpu; then
    echo "[setup_env] nvidia-smi lists a GPU but the installed torch does not see it (a CPU" \
        "build of torch, or a driver too old for its CUDA): mmcv's ops are built for CPU only" >&2
    mmcv_ops=cpu
fi
if [ "$mmcv_ops" = cuda ]; then
    torch_cuda=$(cd / && "$venv/bin/python" -c 'import torch; print(torch.version.cuda or "")')
    nvcc_cuda=$("$nvcc_path" --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')
    if [ "${torch_cuda%%.*}" != "${nvcc_cuda%%.*}" ]; then
        echo "[setup_env] the CUDA toolkit at $nvcc_path is CUDA $nvcc_cuda, torch was built" \
            "with CUDA $torch_cuda: mmcv's CUDA ops cannot be compiled against it, so they stay" \
            "CPU-only. Install CUDA $torch_cuda's toolkit, set CUDA_HOME to it and run again." >&2
        mmcv_ops=cpu
    fi
fi
export MMCV_WITH_OPS=1
if [ "$mmcv_ops" = cuda ] && ! { mmcv_ops_work && mmcv_has_cuda_ops; }; then
    cuda_home=${CUDA_HOME:-$(dirname "$(dirname "$nvcc_path")")}
    arch=${TORCH_CUDA_ARCH_LIST:-$(cd / && "$venv/bin/python" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability())')}
    echo "[setup_env] GPU found and CUDA $nvcc_cuda toolkit at $cuda_home: building mmcv from" \
        "source with its CUDA ops for compute capability $arch"
    # NOTE pip builds the wheel before it replaces the installed mmcv: a failed build keeps it
    if ! FORCE_CUDA=1 CUDA_HOME=$cuda_home TORCH_CUDA_ARCH_LIST=$arch \
        "${pip[@]}" --no-build-isolation --no-cache-dir --force-reinstall --no-deps \
        --no-binary mmcv -r "$req/mmcv.txt" || ! { mmcv_ops_work && mmcv_has_cuda_ops; }; then
        echo "[setup_env] mmcv's CUDA build failed (see above); continuing with CPU ops" >&2
    fi
fi
if ! mmcv_ops_work; then
    # No build isolation: the ops must compile against the torch installed above. No wheel cache:
    # pip's cache key ignores the torch version, so a cached wheel may be built for another torch.
    # NOTE GPUs hidden: mmcv's setup.py compiles CUDA ops whenever torch sees a GPU
    CUDA_VISIBLE_DEVICES= "${pip[@]}" --no-build-isolation --no-cache-dir -r "$req/mmcv.txt" \
        || { echo "[setup_env] mmcv install failed" >&2; exit 1; }
    if ! mmcv_ops_work; then
        echo "[setup_env] the mmcv wheel found does not load with this torch; building from source" >&2
        CUDA_VISIBLE_DEVICES= "${pip[@]}" --no-build-isolation --no-cache-dir --force-reinstall \
            --no-deps --no-binary mmcv -r "$req/mmcv.txt"
        mmcv_ops_work || { echo "[setup_env] mmcv ops do not import after a source build" >&2; exit 1; }
    fi
fi

# setuptools stays pinned: mmagic's requirements would otherwise lift it past 70.
"${pip[@]}" "${host_pip_args[@]}" -r "$req/tests.txt" -r "$req/lint.txt" -r "$req/build.txt"
"$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$repo"

(cd / && "$venv/bin/python" -c "import vkd_mm, ${host_packages//$'\n'/, }") \
    || { echo "[setup_env] the installed stack does not import" >&2; exit 1; }
if mmcv_has_cuda_ops; then
    echo "[setup_env] mmcv ops: CUDA kernels and CPU"
elif ! gpu_visible; then
    echo "[setup_env] mmcv ops: CPU only (no GPU visible)"
elif [ -n "$nvcc_path" ]; then
    echo "[setup_env] mmcv ops: CPU only, although a GPU and a CUDA toolkit were found (see above)" >&2
else
    echo "[setup_env] mmcv ops: CPU only. A GPU is visible but no CUDA toolkit (nvcc) was found in" \
        "PATH, \$CUDA_HOME or /usr/local/cuda: install the toolkit matching torch's CUDA" \
        "($(cd / && "$venv/bin/python" -c 'import torch; print(torch.version.cuda)')) and run this" \
        "script again. Until then ViDT runs mmcv's pure-PyTorch deformable attention on the GPU" \
        "(slower, more memory) and warns once." >&2
fi
echo "$digest" > "$stamp"
echo "[setup_env] ready: $venv"

#!/usr/bin/env bash
# The GPU checks for a lent device machine: Python 3.12 with torch (CUDA) preinstalled, no
# network, at most 64 MiB of carried files.
#
#   tools/device_check.sh bundle                 # here, with network: wheels + data into
#                                                # .device_bundle/ (ignored by git)
#   tools/device_check.sh device                 # there: install the bundle, run the checks
#   tools/device_check.sh device --cpu-dry-run   # here: the same steps at toy sizes on the CPU
#
# The bundle holds pure-Python wheels for Python 3.12 (MMEngine, MMPretrain, mmcv-lite, i.e.
# MMCV without its compiled ops, and what they import that the device image lacks) and the four
# Fashion-MNIST files. The device part installs them with `pip --no-index --no-deps` into
# /tmp/vkd_mm_site and runs, within BUDGET_S seconds (default 480; the dry run 900):
#   1. tests/test_cuda.py;
#   2. benchmarks/bench_projectors.py --device cuda (part 1, the maps against a linear layer)
#      and its --profile tables;
#   3. benchmarks/bench_teacher_precision.py --device cuda, parts teacher and deit
#      (DeiT-Ti <- RegNetY-160: student alone, teacher fp32 / bf16 / fp16; the dry run leaves
#      out fp16, which CPUs without fp16 arithmetic run many times slower than fp32);
#   4. benchmarks/kd_fashion_mnist.py, rows student and V_kD, both students, on 20,000 training
#      images (4x the CPU budget), seed after seed while time is left, each seed with the
#      teacher in fp32 and then the V_kD rows with teacher_dtype='bf16'; then both tables.
# Not run there: whatever imports MMDetection (ViDT: bench_vidt.py, the teacher-precision
# benchmark's vidt part), since mmdet imports MMCV's compiled ops, for which no wheel exists for
# that torch and whose build takes longer than the budget.
# Logs and tables go to $OUT (the device tool's folder), or work_dirs/device_check without it.
#
# On the device tool: run(command='tools/device_check.sh device', carry=['.device_bundle'],
# timeout_s=540).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bundle=$repo/.device_bundle
python=${PYTHON:-python3}
max_bundle_mib=64
# name==version for Python 3.12, all pure Python: the versions the CPU environment runs
wheels=(mmengine==0.10.7 mmcv-lite==2.1.0 mmpretrain==1.2.0 addict==2.4.0 termcolor==3.3.0
        yapf==0.43.0 platformdirs==4.14.9 modelindex==0.0.2 model-index==0.1.11
        ordered-set==4.1.0 mat4py==0.6.0 importlib-metadata==10.2.0 lazy-importer==0.1.0)
fashion_files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz
               t10k-labels-idx1-ubyte.gz)

make_bundle() {
    local data=${FASHION_MNIST_ROOT:-/usr/share/datasets/fashion-mnist}
    rm -rf "$bundle"
    mkdir -p "$bundle/wheels" "$bundle/fashion-mnist"
    "$python" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
        -d "$bundle/wheels" "${wheels[@]}" || exit 1
    for name in "${fashion_files[@]}"; do
        [ -f "$data/$name" ] || { echo "missing $data/$name: apt-get install" \
            "dataset-fashion-mnist, or set FASHION_MNIST_ROOT" >&2; exit 1; }
        cp "$data/$name" "$bundle/fashion-mnist/"
    done
    local bytes
    bytes=$(du -sb "$bundle" | cut -f1)
    ls -l "$bundle/wheels" "$bundle/fashion-mnist"
    echo "bundle: $bundle, $((bytes / 1024)) KiB"
    if [ "$bytes" -gt $((max_bundle_mib * 1024 * 1024)) ]; then
        echo "the bundle is over the device tool's $max_bundle_mib MiB" >&2
        exit 1
    fi
}

run_device() {
    local dry=0
    [ "${1:-}" = --cpu-dry-run ] && dry=1
    [ -d "$bundle/wheels" ] || { echo "no $bundle: run tools/device_check.sh bundle first," \
        "and name .device_bundle in the device tool's carry" >&2; exit 1; }
    local out=${OUT:-$repo/work_dirs/device_check}
    local work=$repo/work_dirs/device_check
    local site=/tmp/vkd_mm_site
    local budget=${BUDGET_S:-$((dry ? 900 : 480))}
    local start=$SECONDS
    mkdir -p "$out" "$work"
    cd "$repo" || exit 1
    export PYTHONUNBUFFERED=1
    # the dry run's site: the bundle's mmcv-lite shadows a full MMCV, as MMPretrain runs there
    [ "$dry" = 1 ] && site=$work/site

    {
        date -u
        nvidia-smi -L 2>/dev/null || echo 'no nvidia-smi'
        rm -rf "$site"
        "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
            --target "$site" "$bundle"/wheels/*.whl || exit 1
        export PYTHONPATH=$repo:$site${PYTHONPATH:+:$PYTHONPATH}
        "$python" - <<'EOF' || exit 1
import importlib.util
import platform

import mmcv
import mmengine
import mmpretrain
import torch

import vkd_mm

print(f'Python {platform.python_version()}, torch {torch.__version__} (CUDA {torch.version.cuda}),'
      f' mmengine {mmengine.__version__}, mmcv {mmcv.__version__} '
      f'(compiled ops: {importlib.util.find_spec("mmcv._ext") is not None}), mmpretrain '
      f'{mmpretrain.__version__}, vkd_mm from {vkd_mm.__file__}')
if torch.cuda.is_available():
    print('GPU:', torch.cuda.get_device_name(0))
EOF
    } 2>&1 | tee "$out/env.log"
    [ "${PIPESTATUS[0]}" = 0 ] || exit 1
    export PYTHONPATH=$repo:$site${PYTHONPATH:+:$PYTHONPATH}

    local status=0
    step() {  # step <name> <seconds> <command...>: run it under a timeout, log to $out/<name>.log
        local name=$1 limit=$2
        shift 2
        echo "== $name (at $((SECONDS - start)) s, limit $limit s): $*"
        timeout "$limit" "$@" 2>&1 | tee "$out/$name.log"
        local rc=${PIPESTATUS[0]}
        [ "$rc" = 0 ] || { echo "== $name exited with $rc"; status=1; }
    }

    if [ "$dry" = 1 ]; then
        step test_cuda 120 "$python" -m pytest -q tests/test_cuda.py
        step bench_projectors 300 bash -c "'$python' benchmarks/bench_projectors.py \
            --device cpu --skip-step --no-official --maps matrix_exp,cholesky_qr --batch 32 \
            --rounds 1 && '$python' benchmarks/bench_projectors.py --device cpu --profile \
            --batch 32 --rounds 1"
        step bench_teacher_precision 300 "$python" benchmarks/bench_teacher_precision.py \
            --device cpu --parts teacher deit --batch 2 --rounds 1 --dtypes bf16
    else
        step test_cuda 120 "$python" -m pytest -q tests/test_cuda.py
        step bench_projectors 90 bash -c "'$python' benchmarks/bench_projectors.py \
            --device cuda --skip-step --rounds 20 && '$python' benchmarks/bench_projectors.py \
            --device cuda --profile --rounds 20"
        step bench_teacher_precision 100 "$python" benchmarks/bench_teacher_precision.py \
            --device cuda --parts teacher deit --batch 16 --rounds 10 --dtypes bf16 fp16
    fi

    local fm=(benchmarks/kd_fashion_mnist.py --data-root "$bundle/fashion-mnist" --students
              resnet vit --work-dir "$work/fashion_mnist")
    if [ "$dry" = 1 ]; then
        fm+=(--quick)
    else
        fm+=(--train-size 20000 --threads 8)
    fi
    {
        local fm_status=0
        for seed in 0 1 2; do
            for dtype in fp32 bf16; do
                local left=$((budget - (SECONDS - start) - 15))
                if [ "$left" -lt 30 ]; then
                    echo "== fashion_mnist: $left s left of the budget, seed $seed and later skipped"
                    break 2
                fi
                if [ "$dtype" = fp32 ]; then
                    echo "== fashion_mnist seed $seed, teacher fp32 (at $((SECONDS - start)) s)"
                    timeout "$left" "$python" "${fm[@]}" --seeds "$seed" --rows student vkd
                else
                    echo "== fashion_mnist seed $seed, teacher bf16 (at $((SECONDS - start)) s)"
                    timeout "$left" "$python" "${fm[@]}" --seeds "$seed" --rows vkd \
                        --teacher-dtype bf16
                fi
                [ "$?" = 0 ] || { echo "== fashion_mnist stopped"; fm_status=1; break 2; }
            done
        done
        # the tables of what is stored (a teacher that did not finish would be trained again)
        timeout 60 "$python" "${fm[@]}" --report --rows student vkd
        timeout 60 "$python" "${fm[@]}" --report --rows vkd --teacher-dtype bf16
        exit "$fm_status"
    } 2>&1 | tee "$out/fashion_mnist.log"
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
    echo "== done in $((SECONDS - start)) s, status $status"
    return "$status"
}

case "${1:-}" in
    bundle) make_bundle ;;
    device) shift; run_device "$@" ;;
    *) echo "usage: tools/device_check.sh bundle | device [--cpu-dry-run]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] [MAX_RESTARTS=3] \
#     tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# One Slurm task per GPU; MMEngine reads the ranks and the master address from Slurm's
# variables (launcher slurm). GPUS > GPUS_PER_NODE spans several nodes.
#
# Faults (docs/reliability.md):
# - a step that fails is started again up to MAX_RESTARTS times (default 3), resuming from the
#   newest complete checkpoint in WORK_DIR;
# - on SIGTERM or SIGUSR1 (preemption; `sbatch --signal=B:USR1@120` before the time limit) the
#   training tasks get SIGTERM, save a checkpoint after the current step and exit with code 75;
#   inside a batch job the script then requeues it (`scontrol requeue $SLURM_JOB_ID`), and the
#   requeued job (SLURM_RESTART_COUNT > 0) resumes from that checkpoint. Submit with
#   `sbatch --requeue --signal=B:USR1@120 ... tools/slurm_train.sh ...`.

set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
MAX_RESTARTS=${MAX_RESTARTS:-3}
PY_ARGS=${@:5}
PREEMPTED=75  # the exit code of a training task stopped by SIGTERM after saving a checkpoint

STOPPING=0
stop() {
    STOPPING=1
    kill -TERM "$SRUN_PID" 2>/dev/null  # srun forwards the signal to the tasks
}
trap stop TERM USR1

RESUME=""
for ((ATTEMPT = 0; ; ATTEMPT++)); do
    PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
    srun -p ${PARTITION} \
        --job-name=${JOB_NAME} \
        --gres=gpu:${GPUS_PER_NODE} \
        --ntasks=${GPUS} \
        --ntasks-per-node=${GPUS_PER_NODE} \
        --cpus-per-task=${CPUS_PER_TASK} \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS} \
        python -u "$(dirname "$0")/train.py" ${CONFIG} --work-dir=${WORK_DIR} \
        --launcher="slurm" ${PY_ARGS} ${RESUME} &
    SRUN_PID=$!
    wait $SRUN_PID
    STATUS=$?
    while kill -0 $SRUN_PID 2>/dev/null; do  # a trapped signal ends `wait` early
        wait $SRUN_PID
        STATUS=$?
    done
    if [ $STATUS -eq 0 ]; then
        exit 0
    fi
    if [ $STOPPING -eq 1 ] || [ $STATUS -eq $PREEMPTED ]; then
        if [ -n "$SLURM_JOB_ID" ] && scontrol requeue "$SLURM_JOB_ID"; then
            exit 0
        fi
        exit $STATUS
    fi
    if [ $ATTEMPT -ge $MAX_RESTARTS ]; then
        exit $STATUS
    fi
    RESUME=--resume
done

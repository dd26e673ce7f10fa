#!/usr/bin/env bash
# Usage: [MAX_RESTARTS=3] tools/dist_train.sh CONFIG GPUS [train.py options]
# Starts GPUS processes with torchrun; without CUDA each process trains on the CPU with gloo.
# When a worker dies, torchrun stops the others and starts the group again, up to MAX_RESTARTS
# times (default 3; 0 to stop at the first failure); every restart resumes from the newest
# complete checkpoint in the work dir (docs/reliability.md).
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
MAX_RESTARTS=${MAX_RESTARTS:-3}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    --max-restarts=$MAX_RESTARTS \
    "$(dirname "$0")/train.py" \
    $CONFIG \
    --launcher pytorch ${@:3}

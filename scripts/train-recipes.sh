#!/bin/sh
# Reproduces the shipped default model and the comparison runs of docs/training.md.
# usage: scripts/train-recipes.sh <datasets-dir> <out-dir>
set -e
D=${1:-../shared/datasets}
O=${2:-/tmp/tamsaek-recipes}
mkdir -p "$O"
T="node dist/cli/main.js"
PAIRS="$D/train-pairs/question_pair.jsonl $D/train-pairs/chatbot_data.jsonl $D/train-pairs/kornli_xnli.jsonl $D/train-pairs/korsts.jsonl"
run() { name=$1; shift; /usr/bin/time -v $T train "$@" --out "$O/$name" --json -q > "$O/$name.train.json" 2> "$O/$name.time.txt"; 
  for ds in autorag-ko welfare-ssis; do $T eval "$D/$ds" --retriever dense --model "$O/$name" --json -q > "$O/$name.$ds.dense.json"; done; }
# shipped: 2^16 buckets x 224 dims, int8 (≈15 MB)
run shipped --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS --loss mnrl --symmetric --dim 224 --buckets 65536 --batch-size 512 --epochs 3 --lr 0.02 --seed 42 --int8 --name tamsaek-static-ko-v1
# same recipe without the size cap: 2^18 buckets x 256 dims, float32
run uncapped --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS --loss mnrl --symmetric --dim 256 --buckets 262144 --batch-size 512 --epochs 3 --lr 0.02 --seed 42
# generalisation: no autorag-ko documents in training
run no-autorag --qrels $D/welfare-ssis --corpus $D/welfare-ssis --pairs $PAIRS --loss mnrl --symmetric --dim 224 --buckets 65536 --batch-size 512 --epochs 3 --lr 0.02 --seed 42 --int8

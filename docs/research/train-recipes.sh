#!/bin/sh
# Reproduces the recipe choice (validation only), the shipped default model and the comparison runs
# of docs/training.md.
# usage: docs/research/train-recipes.sh <datasets-dir> <out-dir>
set -e
D=${1:-../shared/datasets}
O=${2:-/tmp/tamsaek-recipes}
mkdir -p "$O"
T="node dist/cli/main.js"
PAIRS="$D/train-pairs/question_pair.jsonl $D/train-pairs/chatbot_data.jsonl $D/train-pairs/kornli_xnli.jsonl $D/train-pairs/korsts.jsonl"
# v1: 2^15 hashed buckets = rows; v2 (shipped): 2^18 buckets pruned to 2^15 rows by training frequency
V1="--loss mnrl --symmetric --dim 448 --buckets 32768 --batch-size 512 --epochs 3 --lr 0.02 --scale 12 --int8"
SHIP="--loss mnrl --symmetric --dim 448 --buckets 262144 --rows 32768 --batch-size 512 --epochs 3 --lr 0.02 --scale 12 --int8"
RES="$V1 --bm25-residual 2"

# 1. validation sets (no test split is read): 15 % of welfare TRAIN queries; held-out-sentence ICT on autorag-ko docs
V="$O/val"
node docs/research/make-val-splits.mjs "$D" "$V"
val() { name=$1; shift; /usr/bin/time -v $T train --qrels "$V/welfare-trn" --corpus "$V/autorag-trn" "$D/welfare-ssis" --pairs $PAIRS "$@" --out "$O/val-$name" --force --json -q > "$O/val-$name.train.json" 2> "$O/val-$name.time.txt"
  for vs in autorag-ict-val autorag-span-val welfare-val; do $T eval "$V/$vs" --retriever dense --model "$O/val-$name" --json -q > "$O/val-$name.$vs.dense.json"; done
  # the model serves the hybrid: BM25 + this model, fusion weight cross-fitted over the validation queries
  for vs in autorag-ict-val welfare-val; do $T eval "$V/$vs" --retriever hybrid --model "$O/val-$name" --json -q > "$O/val-$name.$vs.hybrid.json"; done; }
val base --loss mnrl --symmetric --dim 224 --buckets 65536 --batch-size 512 --epochs 3 --lr 0.02 --int8 --seed 42
val b15d448 --loss mnrl --symmetric --dim 448 --buckets 32768 --batch-size 512 --epochs 3 --lr 0.02 --int8 --seed 42
val b15d448-sc12 $V1 --seed 42
val b15d448-sc12-s7 $V1 --seed 7
val b15d448-sc12-s1 $V1 --seed 1
val b15d448-sc12-s2 $V1 --seed 2
# round 4: the pruned vocabulary (v2), four seeds
for s in 42 7 1 2; do val pruned-s$s $SHIP --seed $s; done
# how the fusion weight is picked on the line (docs/fusion.md): cross-fitting on sets of ~114 queries, v2 validation models
for s in 42 7 1 2; do node docs/research/fusion-line-check.mjs --model "$O/val-pruned-s$s" --size 114 "$V/autorag-ict-val" "$V/autorag-span-val" "$V/welfare-val" > "$O/fusion-line-s$s.md"; done
# round 6: the dense leg over passage windows (validation models of seeds 42 and 7)
for s in 42 7; do CHUNKS=s2o1,s3o1,s5o2,c100o30,c150o50,c200o50,c300o100,c500o150 node docs/research/passage-check.mjs "$O/val-pruned-s$s" test "$V/autorag-ict-val" "$V/autorag-span-val" "$V/welfare-val" > "$O/passages-s$s.md"; done
val res2 $RES --seed 42
val res2-s7 $RES --seed 7
# generalisation check on validation: no autorag-ko documents in training, scored on autorag-ict-val
gen() { name=$1; shift; $T train --qrels "$V/welfare-trn" --corpus "$D/welfare-ssis" --pairs $PAIRS "$@" --out "$O/gen-$name" --force --json -q > "$O/gen-$name.train.json"
  $T eval "$V/autorag-ict-val" --retriever dense --model "$O/gen-$name" --json -q > "$O/gen-$name.autorag-ict-val.dense.json"; }
gen v1 $V1 --seed 42
gen v2 $SHIP --seed 42
gen res2 $RES --seed 42

# 2. final models on the full training data; test splits only for the report
run() { name=$1; shift; /usr/bin/time -v $T train "$@" --out "$O/$name" --force --json -q > "$O/$name.train.json" 2> "$O/$name.time.txt"
  for ds in autorag-ko welfare-ssis; do for r in dense hybrid; do $T eval "$D/$ds" --retriever $r --model "$O/$name" --json -q > "$O/$name.$ds.$r.json"; done; done; }
# shipped: 2^18 buckets pruned to 2^15 rows x 448 dims, int8 (≈15 MB)
run shipped --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS $SHIP --seed 42 --name tamsaek-static-ko-v2
# the previous default, v1 (2^15 hashed buckets), and its seeds
run v1 --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS $V1 --seed 42 --name tamsaek-static-ko-v1
for s in 7 1 2 3; do run v1-s$s --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS $V1 --seed $s; done
# the seed spread of the shipped recipe (docs/training.md, Round 3)
for s in 7 1 2 3; do run shipped-s$s --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS $SHIP --seed $s; done
# generalisation: no autorag-ko documents in training
run no-autorag --qrels $D/welfare-ssis --corpus $D/welfare-ssis --pairs $PAIRS $SHIP --seed 42
# what the 16 MB cap costs: the same recipe with 2^18 float32 rows (≈ 470 MB)
run uncapped --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS --loss mnrl --symmetric --dim 448 --buckets 262144 --batch-size 512 --epochs 3 --lr 0.02 --scale 12 --seed 42
# BM25-residual sampling (better welfare-ssis hybrid, worse autorag-ko and unseen corpora)
run res2 --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS $RES --seed 42
run res2-s7 --qrels $D/welfare-ssis --corpus $D/autorag-ko $D/welfare-ssis --pairs $PAIRS $RES --seed 7
run res2-no-autorag --qrels $D/welfare-ssis --corpus $D/welfare-ssis --pairs $PAIRS $RES --seed 42

#!/usr/bin/python3
"""Generates the tiny ONNX test models under test/fixtures/models/ (Hugging Face export layout).

Run with Debian's python3-onnx (apt-get install -y python3-onnx python3-numpy):
    /usr/bin/python3 scripts/gen-test-models.py [--out test/fixtures/models] [--real-shape DIR]

Every model is one masked self-attention layer over token (+ position, + token type) embeddings,
so a token's output depends on the other *unmasked* tokens exactly as in a transformer: padding
that is not masked would change the results, which the tests check. Names and shapes follow
optimum's feature-extraction export: int64 input_ids / attention_mask (/ token_type_ids) ->
float last_hidden_state [batch, seq, hidden]; the cross-encoder returns logits [batch, 1].

  tiny-bert        WordPiece tokenizer (BERT normalizer, [CLS] A [SEP] B [SEP]), token_type_ids input
  tiny-xlmr        SentencePiece-Unigram tokenizer (Metaspace, <s> A </s></s> B </s>), no token_type_ids,
                   plus onnx/model_quantized.onnx whose embedding table is int8 + DequantizeLinear
  tiny-reranker    tiny-bert's tokenizer, a cross-encoder head -> logits [batch, 1]
  bad-output-name  like tiny-xlmr but its output is called "embeddings"
--real-shape DIR writes an XLM-R-large-shaped (1024-d, 514 positions) random model for benchmarks
(not committed; vocab cut to 32k, 2 layers: ~150 MB).
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
HANGUL = "한국어검색엔진문서질의토큰모델벡터임베딩테스트입니다는은이가을를에서의로와과하고있다없다사람시간정보데이터서울부산대학교학생공부읽기쓰기"
WORDS = ["hello", "world", "search", "engine", "the", "a", "of", "test", "korean", "query", "passage"]


def uniq(seq):
    seen, out = set(), []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def bert_tokenizer():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    syll = uniq(HANGUL)
    vocab_list = specials + [":", ".", ",", "?", "!"] + WORDS + ["한국", "검색", "엔진", "문서"] + syll + ["##" + s for s in syll] + ["##s", "##ing", "##ed"]
    vocab_list += [c for c in "abcdefghijklmnopqrstuvwxyz0123456789"] + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    vocab_list = uniq(vocab_list)
    vocab = {t: i for i, t in enumerate(vocab_list)}
    added = [dict(id=i, content=t, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True) for i, t in enumerate(specials)]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": False, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [vocab["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [vocab["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
    }
    cfg = {"do_lower_case": True, "model_max_length": 32, "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
           "mask_token": "[MASK]", "tokenizer_class": "BertTokenizer", "clean_up_tokenization_spaces": True}
    return tok, cfg, len(vocab_list), vocab["[PAD]"]


def unigram_tokenizer():
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    syll = uniq(HANGUL)
    pieces = [("▁", -3.0)]
    for w in ["한국어", "검색", "엔진", "문서", "질의", "모델", "벡터", "서울", "대학교", "학생", "데이터", "정보", "입니다"]:
        pieces.append(("▁" + w, -4.0))
        pieces.append((w, -5.0))
    for w in WORDS:
        pieces.append(("▁" + w, -4.5))
    for s in syll:
        pieces.append(("▁" + s, -7.0))
        pieces.append((s, -7.5))
    for c in "abcdefghijklmnopqrstuvwxyz0123456789.,?!:":
        pieces.append((c, -9.0))
        pieces.append(("▁" + c, -9.5))
    seen, vocab = set(specials), [[t, 0.0] for t in specials]
    for p, s in pieces:
        if p not in seen:
            seen.add(p)
            vocab.append([p, s])
    ids = {t: i for i, (t, _) in enumerate(vocab)}
    added = [dict(id=i, content=t, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True) for i, t in enumerate(specials)]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [ids["<s>"]], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [ids["</s>"]], "tokens": ["</s>"]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": ids["<unk>"], "vocab": vocab, "byte_fallback": False},
    }
    cfg = {"model_max_length": 24, "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>", "cls_token": "<s>",
           "sep_token": "</s>", "tokenizer_class": "XLMRobertaTokenizer", "clean_up_tokenization_spaces": True}
    return tok, cfg, len(vocab), ids["<pad>"]


def encoder_graph(rng, vocab, hidden, max_pos, token_types, head, quantized=False, output_name="last_hidden_state", layers=1):
    """Masked self-attention encoder: X = E[ids] + P[pos] (+ T[tt]); per layer X = tanh((softmax(XXᵀ/√h + mask) X) W)."""
    inits, nodes = [], []
    E = (rng.standard_normal((vocab, hidden)) * 0.5).astype(np.float32)
    if quantized:
        scale = np.float32(np.abs(E).max() / 127.0)
        Eq = np.clip(np.round(E / scale), -127, 127).astype(np.int8)
        inits += [numpy_helper.from_array(Eq, "emb_q"), numpy_helper.from_array(np.array(scale, np.float32), "emb_scale"),
                  numpy_helper.from_array(np.array(0, np.int8), "emb_zp")]
        nodes.append(helper.make_node("DequantizeLinear", ["emb_q", "emb_scale", "emb_zp"], ["emb"]))
    else:
        inits.append(numpy_helper.from_array(E, "emb"))
    inits.append(numpy_helper.from_array((rng.standard_normal((max_pos, hidden)) * 0.3).astype(np.float32), "pos"))
    inits += [numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array(1, np.int64), "one"),
              numpy_helper.from_array(np.array([1], np.int64), "axes1"),
              numpy_helper.from_array(np.array(1.0, np.float32), "onef"), numpy_helper.from_array(np.array(-1e9, np.float32), "neg"),
              numpy_helper.from_array(np.array(1.0 / np.sqrt(hidden), np.float32), "scale")]
    nodes += [
        helper.make_node("Gather", ["emb", "input_ids"], ["tok"]),
        helper.make_node("Shape", ["input_ids"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["seqlen"]),
        helper.make_node("Range", ["zero", "seqlen", "one"], ["positions"]),
        helper.make_node("Gather", ["pos", "positions"], ["posemb"]),
        helper.make_node("Add", ["tok", "posemb"], ["x0a"]),
    ]
    x = "x0a"
    if token_types:
        inits.append(numpy_helper.from_array((rng.standard_normal((2, hidden)) * 0.3).astype(np.float32), "ttemb"))
        nodes += [helper.make_node("Gather", ["ttemb", "token_type_ids"], ["tt"]), helper.make_node("Add", [x, "tt"], ["x0"])]
        x = "x0"
    nodes += [
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Sub", ["onef", "maskf"], ["inv"]),
        helper.make_node("Mul", ["inv", "neg"], ["bias2"]),
        helper.make_node("Unsqueeze", ["bias2", "axes1"], ["bias"]),  # [B,1,T]
    ]
    for l in range(layers):
        W = (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(np.float32)
        inits.append(numpy_helper.from_array(W, f"w{l}"))
        nodes += [
            helper.make_node("Transpose", [x], [f"xt{l}"], perm=[0, 2, 1]),
            helper.make_node("MatMul", [x, f"xt{l}"], [f"s{l}"]),
            helper.make_node("Mul", [f"s{l}", "scale"], [f"ss{l}"]),
            helper.make_node("Add", [f"ss{l}", "bias"], [f"sb{l}"]),
            helper.make_node("Softmax", [f"sb{l}"], [f"a{l}"], axis=-1),
            helper.make_node("MatMul", [f"a{l}", x], [f"c{l}"]),
            helper.make_node("MatMul", [f"c{l}", f"w{l}"], [f"cw{l}"]),
            helper.make_node("Tanh", [f"cw{l}"], [f"y{l}"]),
        ]
        x = f"y{l}"
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])]
    if token_types:
        inputs.append(helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch_size", "sequence_length"]))
    if head == "logits":
        inits.append(numpy_helper.from_array((rng.standard_normal((hidden, 1))).astype(np.float32), "wout"))
        nodes += [
            helper.make_node("Unsqueeze", ["maskf", "axes1"], ["maskf3"]),  # [B,T] -> [B,1,T]
            helper.make_node("MatMul", ["maskf3", x], ["summed3"]),  # [B,1,H]
        ]
        inits.append(numpy_helper.from_array(np.array([2], np.int64), "axes2"))
        nodes += [
            helper.make_node("ReduceSum", ["maskf3", "axes2"], ["count3"], keepdims=1),  # [B,1,1]
            helper.make_node("Div", ["summed3", "count3"], ["mean3"]),
            helper.make_node("Squeeze", ["mean3", "axes1"], ["mean"]),  # [B,H]
            helper.make_node("MatMul", ["mean", "wout"], ["logits"]),
        ]
        outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", 1])]
    else:
        nodes.append(helper.make_node("Identity", [x], [output_name]))
        outputs = [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch_size", "sequence_length", hidden])]
    graph = helper.make_graph(nodes, "tamsaek_tiny", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tamsaek gen-test-models")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_dir(d, config, tok, tok_cfg, models, extra=None):
    os.makedirs(os.path.join(d, "onnx"), exist_ok=True)
    for name, obj in [("config.json", config), ("tokenizer.json", tok), ("tokenizer_config.json", tok_cfg)] + list((extra or {}).items()):
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1 if name != "tokenizer.json" else None)
            f.write("\n")
    for fname, model in models.items():
        onnx.save(model, os.path.join(d, "onnx", fname))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "models"))
    ap.add_argument("--real-shape", default=None)
    args = ap.parse_args()
    out = args.out
    H = 16
    btok, bcfg, bvocab, bpad = bert_tokenizer()
    bert_config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": H, "num_hidden_layers": 1, "num_attention_heads": 1,
                   "max_position_embeddings": 64, "type_vocab_size": 2, "vocab_size": bvocab, "pad_token_id": bpad}
    write_dir(os.path.join(out, "tiny-bert"), bert_config, btok, bcfg,
              {"model.onnx": encoder_graph(np.random.default_rng(1), bvocab, H, 64, True, "hidden")})
    utok, ucfg, uvocab, upad = unigram_tokenizer()
    xlmr_config = {"architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta", "hidden_size": H, "num_hidden_layers": 1, "num_attention_heads": 1,
                   "max_position_embeddings": 66, "type_vocab_size": 1, "vocab_size": uvocab, "pad_token_id": upad}
    write_dir(os.path.join(out, "tiny-xlmr"), xlmr_config, utok, ucfg,
              {"model.onnx": encoder_graph(np.random.default_rng(2), uvocab, H, 64, False, "hidden"),
               "model_quantized.onnx": encoder_graph(np.random.default_rng(2), uvocab, H, 64, False, "hidden", quantized=True)})
    rr_config = dict(bert_config, architectures=["BertForSequenceClassification"], num_labels=1, id2label={"0": "LABEL_0"}, label2id={"LABEL_0": 0})
    write_dir(os.path.join(out, "tiny-reranker"), rr_config, btok, bcfg,
              {"model.onnx": encoder_graph(np.random.default_rng(3), bvocab, H, 64, True, "logits")})
    write_dir(os.path.join(out, "bad-output-name"), xlmr_config, utok, ucfg,
              {"model.onnx": encoder_graph(np.random.default_rng(4), uvocab, H, 64, False, "hidden", output_name="embeddings")})
    if args.real_shape:
        HR, V = 1024, 32000
        cfg = dict(xlmr_config, hidden_size=HR, vocab_size=V, max_position_embeddings=514, num_hidden_layers=2)
        tok = dict(utok)
        write_dir(args.real_shape, cfg, tok, dict(ucfg, model_max_length=512),
                  {"model.onnx": encoder_graph(np.random.default_rng(5), V, HR, 512, False, "hidden", layers=2)})
    print("wrote", out)


if __name__ == "__main__":
    main()

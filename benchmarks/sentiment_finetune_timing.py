"""Time the study's full fine-tuning schedule with a bert-base-chinese-sized encoder.

The study fine-tuned ``bert-base-chinese`` (12 layers, hidden 768) for 4 epochs
at batch 32 and learning rate 2e-5.  Where the hub is unreachable its weights
cannot be downloaded, but the *time* of that schedule depends only on the
architecture, so this script builds a randomly initialised encoder of the same
size (with the offline encoder's tokenizer), runs
:func:`helpers.sentiment.regressor.fine_tune` with the study's schedule on the
labelled texts of a run folder, and prints seconds, steps/second and the
projected time of the full schedule.  Meant for a GPU machine (bf16 autocast is
used there); on a CPU it stops after ``--max-steps`` and projects from those.

    .venv/bin/python benchmarks/sentiment_finetune_timing.py --run-dir _build/run
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from helpers.sentiment.labels import read_sentiment_labels
    from helpers.sentiment.offline_encoder import ensure_offline_encoder
    from helpers.sentiment.regressor import TrainConfig, fine_tune
    from helpers.sentiment.scoring import pick_device

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default="_build/run")
    parser.add_argument("--labels", default=None, help="annotation CSV (default: <run-dir>/raw/sentiment_labels.csv)")
    parser.add_argument("--max-steps", type=int, default=20, help="on CPU: time this many steps and project")
    args = parser.parse_args(argv)

    labels = read_sentiment_labels(args.labels or Path(args.run_dir) / "raw" / "sentiment_labels.csv")
    device = pick_device()
    tokenizer = AutoTokenizer.from_pretrained(ensure_offline_encoder())
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)
    schedule = TrainConfig()  # the study's: 4 epochs, batch 32, lr 2e-5, 128 tokens
    n_train = int(round(0.8 * len(labels.data)))
    full_steps = schedule.epochs * -(-n_train // schedule.batch_size)
    if device.type != "cuda":
        per_epoch = -(-n_train // schedule.batch_size)
        schedule = TrainConfig(epochs=min(1.0, args.max_steps / per_epoch))
        print(f"no GPU: timing {args.max_steps} steps on the CPU and projecting")
    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        BertModel(config).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        started = time.perf_counter()
        result = fine_tune(labels.data["text"], labels.data["score"], model_name=folder, config=schedule,
                           device=device, progress=True)
        wall = time.perf_counter() - started
    rate = result.steps / result.seconds
    print(f"device: {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'})")
    print(f"bert-base-sized encoder: {sum(p.numel() for p in result.model.parameters()) / 1e6:.0f} M parameters")
    print(f"{result.steps} steps in {result.seconds:.1f} s ({rate:.2f} steps/s); wall incl. evaluation {wall:.1f} s")
    print(f"study schedule ({full_steps} steps): {full_steps / rate:.0f} s projected")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

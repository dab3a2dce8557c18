#!/usr/bin/env python3
"""Spotwise example workload: a small, fully deterministic training run (python3 standard library).

It fits a linear model y = w.x + b to a synthetic data set with mini-batch SGD and follows the
Spotwise training-program contract (see shared/docs/DESIGN.md, "Contracts"):

* SPOTWISE_CHECKPOINT_DIR  - the checkpoint is one file, ``checkpoint.json``, written atomically
  (temporary file, fsync, rename) every ``--checkpoint-every`` steps and when SIGTERM arrives.
  It holds the step, the weights (as exact float hex strings) and the random generator's state,
  so a resumed run continues with exactly the numbers an uninterrupted run would have used.
* SPOTWISE_PROGRESS_FILE   - one JSON line per reported step: {"step":..,"total":..,"loss":..}.
* SIGTERM (or the signal given by --signal) - finish the current step, checkpoint, exit 143.
* SPOTWISE_RESULT_DIR      - where the final model goes (``model.bin``; ``--out`` overrides);
  the agent uploads that folder to ``result/`` in the job's bucket once the program exits 0.

The final model file's bytes are identical whether or not the run was interrupted and resumed.

Usage: train.py [--steps N] [--step-seconds S] [--checkpoint-every K] [--seed N] [--out FILE]
"""

import argparse
import json
import os
import random
import signal
import struct
import sys
import time

FEATURES = 8
DATASET = 512
BATCH = 16
LEARNING_RATE = 0.05


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=int(os.environ.get("TRAIN_STEPS", "300")))
    parser.add_argument("--step-seconds", type=float, default=float(os.environ.get("TRAIN_STEP_SECONDS", "0.01")),
                        help="simulated compute time per step")
    parser.add_argument("--checkpoint-every", type=int, default=int(os.environ.get("TRAIN_CHECKPOINT_EVERY", "25")))
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--out", default="", help="model file (default: $SPOTWISE_RESULT_DIR/model.bin or ./model.bin)")
    parser.add_argument("--signal", default="SIGTERM", help="signal that asks for a checkpoint and exit")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.checkpoint_every < 1 or args.step_seconds < 0:
        parser.error("--steps and --checkpoint-every must be >= 1, --step-seconds >= 0")
    return args


def make_dataset(seed):
    """The data never changes for a given seed: it is rebuilt, not checkpointed."""
    rng = random.Random(seed)
    true_w = [rng.uniform(-2.0, 2.0) for _ in range(FEATURES)]
    true_b = rng.uniform(-1.0, 1.0)
    data = []
    for _ in range(DATASET):
        x = [rng.gauss(0.0, 1.0) for _ in range(FEATURES)]
        y = sum(wi * xi for wi, xi in zip(true_w, x)) + true_b + rng.gauss(0.0, 0.1)
        data.append((x, y))
    return data


def rng_state_to_json(state):
    version, internal, gauss_next = state
    return {"version": version, "internal": list(internal), "gauss_next": gauss_next}


def rng_state_from_json(obj):
    return (obj["version"], tuple(obj["internal"]), obj["gauss_next"])


def save_checkpoint(directory, step, weights, bias, rng):
    state = {
        "format": 1,
        "step": step,
        "weights": [w.hex() for w in weights],
        "bias": bias.hex(),
        "rng": rng_state_to_json(rng.getstate()),
    }
    os.makedirs(directory, exist_ok=True)
    final = os.path.join(directory, "checkpoint.json")
    tmp = final + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)  # atomic: a reader sees the old or the new checkpoint, never half of one


def load_checkpoint(directory):
    path = os.path.join(directory, "checkpoint.json")
    if not directory or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    if state.get("format") != 1:
        raise SystemExit("train.py: unknown checkpoint format in %s" % path)
    weights = [float.fromhex(w) for w in state["weights"]]
    rng = random.Random()
    rng.setstate(rng_state_from_json(state["rng"]))
    return state["step"], weights, float.fromhex(state["bias"]), rng


def write_atomic(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv):
    args = parse_args(argv)
    checkpoint_dir = os.environ.get("SPOTWISE_CHECKPOINT_DIR", "")
    progress_path = os.environ.get("SPOTWISE_PROGRESS_FILE", "")
    result_dir = os.environ.get("SPOTWISE_RESULT_DIR", "")
    out = args.out or os.path.join(result_dir or ".", "model.bin")

    stop_requested = []
    signal.signal(getattr(signal, args.signal), lambda signum, frame: stop_requested.append(signum))

    data = make_dataset(args.seed)
    resumed = load_checkpoint(checkpoint_dir) if checkpoint_dir else None
    if resumed:
        step, weights, bias, rng = resumed
        print("train.py: resuming at step %d of %d (attempt %s)" % (step, args.steps, os.environ.get("SPOTWISE_ATTEMPT", "?")), flush=True)
    else:
        step, weights, bias, rng = 0, [0.0] * FEATURES, 0.0, random.Random(args.seed + 1)
        print("train.py: starting %d steps" % args.steps, flush=True)

    progress = open(progress_path, "a", encoding="utf-8") if progress_path else None
    loss = 0.0
    while step < args.steps:
        batch = [data[rng.randrange(DATASET)] for _ in range(BATCH)]
        grad_w = [0.0] * FEATURES
        grad_b = 0.0
        loss = 0.0
        for x, y in batch:
            err = sum(wi * xi for wi, xi in zip(weights, x)) + bias - y
            loss += err * err
            for i in range(FEATURES):
                grad_w[i] += 2.0 * err * x[i]
            grad_b += 2.0 * err
        loss /= BATCH
        weights = [w - LEARNING_RATE * g / BATCH for w, g in zip(weights, grad_w)]
        bias -= LEARNING_RATE * grad_b / BATCH
        step += 1
        if args.step_seconds:
            time.sleep(args.step_seconds)
        if progress:
            progress.write(json.dumps({"step": step, "total": args.steps, "loss": round(loss, 6)}) + "\n")
            progress.flush()
        if checkpoint_dir and (step % args.checkpoint_every == 0 or stop_requested):
            save_checkpoint(checkpoint_dir, step, weights, bias, rng)
        if stop_requested and step < args.steps:
            print("train.py: signal received, checkpointed at step %d, exiting" % step, flush=True)
            return 128 + stop_requested[0]

    model = struct.pack("<%dd" % (FEATURES + 1), *weights, bias)
    write_atomic(out, model)
    if checkpoint_dir:
        save_checkpoint(checkpoint_dir, step, weights, bias, rng)
    print("train.py: done, %d steps, final loss %.6f, model %s" % (step, loss, out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

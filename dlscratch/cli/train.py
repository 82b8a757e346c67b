"""``dlscratch train``: train a network on MNIST, print its test accuracy, save it.

Interrupting (Ctrl-C) never loses more than the epoch in progress: after every epoch the
run's full state goes to a scratch checkpoint, and on Ctrl-C that state is saved where
``--checkpoint`` says, with the command that resumes it. Resuming from the state at the
start of an epoch gives exactly the numbers of a run that was never interrupted.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from dlscratch.callbacks import Callback
from dlscratch.cli.common import (
    CommandError,
    UsageError,
    add_command,
    add_output_argument,
    existing_file,
    load_data,
    non_negative_int,
    output_paths,
    positive_float,
    positive_int,
    write_figure,
)
from dlscratch.cli.models import (
    CONV_NETWORKS,
    add_network_arguments,
    build_network,
    describe_network,
    network_spec,
    save_model,
)

#: Learning rate when ``--lr`` is not given: 0.1 for SGD (the textbook's TwoLayerNet),
#: the textbook's chapter 6 values for the others.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01,
              "rmsprop": 0.001, "adam": 0.001}
#: The key of a checkpoint entry holding the options that made it (JSON).
CONFIG_KEY = "cli/config"
#: Exit code after Ctrl-C (128 + SIGINT, the shell's convention).
INTERRUPTED = 130

DESCRIPTION = """\
The default is the textbook's chapter 5 run: TwoLayerNet(784, 50, 10) with ReLU, weights
drawn with std 0.01, softmax + cross-entropy, plain SGD with learning rate 0.1 on
mini-batches of 100 images, seed 0. The textbook trains for 10,000 iterations, i.e. 16.7
epochs of 600 mini-batches; here an epoch is one shuffled pass over the 60,000 training
images without replacement, so the default is 17 whole epochs (10,200 iterations). It is
the same set-up as '--preset textbook-two-layer', which stops after exactly
10,000 iterations as the textbook does.

A progress bar and one line per epoch show the loss and accuracy; the last line is the
accuracy on all 10,000 test images. --save writes the parameters (.npz, no pickle) with
what 'dlscratch evaluate' and 'dlscratch predict' need to rebuild the network, and the
learning curves as a PNG next to them.

Ctrl-C stops training and saves a checkpoint of the last finished epoch (see --checkpoint;
not for --preset runs); the command to resume is printed: the same options plus --resume
CHECKPOINT. Exit codes: 0 done, 1 failed, 2 bad usage, 130 interrupted."""

EXAMPLES = """\
  dlscratch train                                  # the textbook's TwoLayerNet, 17 epochs
  dlscratch train --save runs/two-layer.npz        # also write the parameters and curves
  dlscratch train --network multi-layer --hidden 100 100 --optimizer adam --epochs 5
  dlscratch train --network multi-layer --dropout 0.2 --weight-decay 0.001 --batchnorm
  dlscratch train --network simple-conv --epochs 2 --limit 10000
  dlscratch train --network deep-conv --workers 2  # two cores, one half-batch each
  dlscratch train --preset keras-mlp --quick       # a published experiment, cut short
  dlscratch train --save run.npz --resume run.checkpoint.npz   # continue after Ctrl-C"""

#: Options that a ``--preset`` run does not take (it runs the experiment as published).
_NOT_FOR_PRESETS = ("network", "hidden", "activation", "loss", "weight_init", "weight_decay",
                    "dropout", "batchnorm", "optimizer", "lr", "epochs", "batch_size", "limit",
                    "test_limit", "eval_limit", "workers", "resume", "checkpoint")


def add_parser(subparsers) -> None:
    """Add ``train`` and its options to ``subparsers``."""
    from dlscratch.experiments import PRESETS
    from dlscratch.optimizers import OPTIMIZERS

    parser = add_command(subparsers, "train",
                         "train a network on MNIST and print its test accuracy",
                         DESCRIPTION, EXAMPLES)
    add_network_arguments(parser)
    group = parser.add_argument_group("training")
    group.add_argument("--optimizer", type=str.lower, choices=list(OPTIMIZERS),
                       help="how to update the weights (default: sgd; adam for simple-conv "
                            "and deep-conv)")
    group.add_argument("--lr", type=positive_float,
                       help="learning rate (default: 0.1 for sgd, 1.0 with neural-network; "
                            "0.01 for momentum, nesterov and adagrad; 0.001 for rmsprop and "
                            "adam)")
    group.add_argument("--epochs", type=positive_int,
                       help="passes over the training images (default: 17; 20 for simple-conv "
                            "and deep-conv, as in the textbook)")
    group.add_argument("--batch-size", type=positive_int, metavar="N",
                       help="images per mini-batch (default: 100)")
    group.add_argument("--seed", type=non_negative_int,
                       help="seed of the initial weights, the shuffling and dropout "
                            "(default: 0; with --preset, the preset's own)")
    group.add_argument("--limit", type=positive_int, metavar="N",
                       help="train on the first N training images only (default: all 60,000)")
    group.add_argument("--test-limit", type=positive_int, metavar="N",
                       help="test on the first N test images only (default: all 10,000)")
    group.add_argument("--eval-limit", type=positive_int, metavar="N",
                       help="after each epoch, measure loss and accuracy on the first N "
                            "training and test images only; faster, and the final test "
                            "accuracy still uses all test images (default: all; 1000 for "
                            "simple-conv and deep-conv)")
    group.add_argument("--workers", type=positive_int, metavar="N",
                       help="compute each mini-batch's gradient on N CPU cores, one slice of "
                            "the batch each (default: 1; on two cores, 2 took an epoch of "
                            "deep-conv from 45-113 s to 34-37 s; not with --batchnorm)")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar or per-epoch lines, only the result")

    group = parser.add_argument_group("published experiments")
    group.add_argument("--preset", choices=list(PRESETS), metavar="NAME",
                       help="run one of the source experiments as published: "
                            + "; ".join(f"{p.name}: {p.description}" for p in PRESETS.values()))
    group.add_argument("--quick", action="store_true",
                       help="with --preset: less data and fewer iterations, a run of seconds")

    group = parser.add_argument_group("files")
    group.add_argument("--save", metavar="PATH",
                       help="write the trained parameters to PATH (.npz) and the learning "
                            "curves to PATH's name with -curves.png")
    group.add_argument("--overwrite", action="store_true",
                       help="replace --save's file if it exists (without this, an existing "
                            "file is an error, found before training)")
    add_output_argument(group, "next to --save's file", "the learning-curve figure")
    group.add_argument("--resume", type=existing_file, metavar="CHECKPOINT",
                       help="continue the run saved in CHECKPOINT (after Ctrl-C); give the "
                            "same options as the run that made it (--epochs may be larger)")
    group.add_argument("--checkpoint", metavar="PATH",
                       help="where Ctrl-C saves the run (default: --save's name with "
                            ".checkpoint.npz, else dlscratch-checkpoint.npz)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Train as ``args`` say; return the exit code."""
    if args.preset is not None:
        return _run_preset(args)
    if args.quick:
        raise UsageError("--quick applies to --preset runs; use --limit and --epochs to "
                         "shorten a run")
    if args.out is not None and args.save is None:
        raise UsageError("--out names the learning-curve figure written with --save; give --save")
    if args.workers not in (None, 1) and args.batchnorm:
        raise UsageError(f"--workers {args.workers} splits each batch, which would change "
                         "--batchnorm's batch statistics; leave --workers out")
    config = _config(args)
    save_path = _prepare_output(args.save, args.overwrite)
    _curves_path(args.out, save_path)  # a bad --out fails now, not after training
    checkpoint_path = _checkpoint_path(args)

    from dlscratch.trainer import Trainer

    x_train, t_train, x_test, t_test = load_data(config["limit"], config["test_limit"])
    network = build_network(config["network"], config["arguments"], seed=config["seed"])
    snapshot = _EpochSnapshot()
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=_epochs(args),
                      mini_batch_size=config["batch_size"], optimizer=config["optimizer"],
                      optimizer_param={"lr": config["lr"]},
                      evaluate_sample_num_per_epoch=config["eval_limit"],
                      verbose=not args.quiet, seed=config["seed"], callbacks=[snapshot],
                      workers=config["workers"])
    if not args.quiet:
        print(repr(network))
        print(_plan_line(trainer, config, len(x_train), len(x_test)))
    if args.resume:
        _resume(trainer, args.resume, config)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dlscratch-") as scratch, _signals_interrupt():
        snapshot.path = Path(scratch) / "snapshot.npz"
        try:
            accuracy = trainer.train()
        except KeyboardInterrupt as stop:
            return _save_interrupted(trainer, snapshot, checkpoint_path, config, args, stop)
    seconds = time.perf_counter() - start

    if args.quiet:
        print(f"Final test accuracy: {accuracy:.4f}")
    epochs = trainer.current_epoch
    print(f"{epochs} epoch{'s' if epochs != 1 else ''} ({trainer.current_iter:,} iterations) in "
          f"{seconds:.1f} s; test accuracy {accuracy:.4f} on {len(x_test):,} test images")
    finished = trainer.current_epoch >= trainer.epochs
    if save_path is not None and trainer.diverged:
        # A run that blew up never replaces a model; the Trainer has said why it stopped.
        kept = "is unchanged" if save_path.exists() else "was not written"
        print(f"{save_path} {kept}: the training diverged", file=sys.stderr)
    elif save_path is not None:
        trained = {key: value for key, value in config.items()
                   if key not in ("network", "arguments")}
        trained.update(epochs=trainer.current_epoch, iterations=trainer.current_iter,
                       test_accuracy=accuracy, test_images=len(x_test))
        written = _save_or_keep_elsewhere(network, save_path, config, trained)
        if written != save_path:
            return 1
        print(f"wrote {save_path}")
        _write_curves(trainer.history, args.out, save_path, config["network"])
    # Without early stopping, a run ends before its last epoch only when the loss became
    # NaN or infinite or diverged (the Trainer has warned and said why): it failed.
    return 0 if finished else 1


def _save_or_keep_elsewhere(network, save_path: Path, config: dict, trained: dict) -> Path:
    """Save the model to ``save_path``; if that fails, to a fallback file, named on stderr.

    The run is never lost to a full disk or a folder that became read-only: the model
    goes to the current folder or, failing that, the temporary folder.
    """
    try:
        save_model(network, save_path, config["network"], config["arguments"], trained=trained)
        return save_path
    except OSError as err:
        failure = err
    name = f"dlscratch-unsaved-{time.strftime('%Y%m%d-%H%M%S')}-{save_path.name}"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            save_model(network, folder / name, config["network"], config["arguments"],
                       trained=trained)
        except OSError:
            continue
        print(f"{failure}; the trained model was saved to {folder / name} instead",
              file=sys.stderr)
        return folder / name
    raise failure


# ---------------------------------------------------------------- options

def _config(args) -> dict:
    """Everything that fixes the run except its length (JSON-ready; stored in checkpoints)."""
    kind = args.network or "two-layer"
    conv = kind in CONV_NETWORKS
    optimizer = args.optimizer or ("adam" if conv else "sgd")
    lr = args.lr
    if lr is None:
        # The squared error of sigmoid outputs has small gradients, so SGD needs a larger
        # step: 'dlscratch train --network neural-network --epochs 2 --limit 20000 --lr LR'
        # reached test accuracy 0.558 with LR 0.1, 0.868 with 1 and 0.731 with 3.
        lr = 1.0 if (kind, optimizer) == ("neural-network", "sgd") else DEFAULT_LR[optimizer]
    class_name, arguments = network_spec(args, lr)
    return {
        "network": class_name,
        "arguments": arguments,
        "optimizer": optimizer,
        "lr": lr,
        "batch_size": args.batch_size or 100,
        "seed": 0 if args.seed is None else args.seed,
        "limit": args.limit,
        "test_limit": args.test_limit,
        "eval_limit": args.eval_limit or (1000 if conv else None),
        "workers": args.workers or 1,
    }


def _epochs(args) -> int:
    """``--epochs``, or 17 (the textbook's 10,000 iterations rounded up to whole epochs of
    600), or the textbook's 20 for the convolutional networks."""
    if args.epochs is not None:
        return args.epochs
    return 20 if (args.network or "two-layer") in CONV_NETWORKS else 17


def _prepare_output(save: str | None, overwrite: bool = False) -> Path | None:
    """``--save``'s path, checked and its folder created and tried now, so that a typo, an
    existing model or a folder we cannot write fails before training, not after it."""
    if save is None:
        return None
    path = Path(save)
    if path.is_dir():
        raise UsageError(f"--save {save}: is a folder; give a file name such as "
                         f"{path / 'model.npz'}")
    if path.suffix.lower() != ".npz":
        raise UsageError(f"--save {save}: a model is saved as an .npz file; give a name "
                         f"ending in .npz, such as {path.with_suffix('.npz').name}")
    if path.exists() and not overwrite:
        raise UsageError(f"--save {save}: the file exists; add --overwrite to replace it, "
                         "or give another name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as err:
        raise UsageError(f"--save {save}: cannot write in {path.parent.resolve()}: "
                         f"{err.strerror or err}") from None
    return path


def _checkpoint_path(args) -> Path:
    if args.checkpoint is not None:
        return Path(args.checkpoint)
    if args.save is not None:
        save = Path(args.save)
        return save.with_name(f"{_stem(save)}.checkpoint.npz")
    return Path("dlscratch-checkpoint.npz")


def _stem(path: Path) -> str:
    return path.name[:-4] if path.name.endswith(".npz") else path.name


def _plan_line(trainer, config: dict, n_train: int, n_test: int) -> str:
    return (f"{config['optimizer']} lr {config['lr']:g}, batch {trainer.batch_size}, "
            f"{trainer.epochs} epochs of {trainer.iter_per_epoch:,} iterations "
            f"({trainer.max_iter:,} in all), {n_train:,} training / {n_test:,} test images, "
            f"seed {config['seed']}"
            + (f", {trainer.workers} workers" if trainer.workers > 1 else ""))


def _curves_path(out: str | None, save_path: Path | None) -> Path | None:
    """Where the learning curves go (``--out``, else next to ``--save``'s file)."""
    if save_path is None:
        return None
    path, = output_paths(out, [f"{_stem(save_path)}-curves.png"], default_dir=save_path.parent)
    return path


def _write_curves(history, out: str | None, save_path: Path, class_name: str) -> None:
    from dlscratch.plotting import plot_learning_curves

    path = _curves_path(out, save_path)
    write_figure(plot_learning_curves(history, title=f"{class_name} on MNIST"), path)


# ---------------------------------------------------------------- interrupt and resume

class _EpochSnapshot(Callback):
    """Keep the run's state at the start of training and after every epoch in ``path``.

    A Ctrl-C can arrive anywhere, even between the update of two parameters; the state
    saved at the last epoch boundary is always whole, and resuming from it repeats
    exactly what an uninterrupted run would have done.
    """

    def __init__(self):
        self.path: Path | None = None
        self.epoch: int | None = None  # the epoch of the state in ``path``
        self.iteration: int | None = None

    def on_train_begin(self, trainer):
        try:
            self._save(trainer)
        except OSError as err:  # nothing is trained yet: better to stop now than later
            raise CommandError(f"cannot keep the run's state while it trains ({err}); a "
                               "full disk or a file-size limit would lose the run") from None

    def on_epoch_end(self, trainer):
        try:
            self._save(trainer)
        except OSError as err:  # the network is whole in memory: train on, save at the end
            warnings.warn(f"could not keep the state after epoch {trainer.current_epoch} "
                          f"({err}); an interruption now keeps epoch {self.epoch}",
                          RuntimeWarning, stacklevel=2)

    def _save(self, trainer):
        trainer.save_checkpoint(self.path)  # atomic: an interrupted save keeps the last one
        self.epoch, self.iteration = trainer.current_epoch, trainer.current_iter


class _Signalled(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled as Ctrl-C is: the run is saved, the exit code tells which."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_interrupt():
    """While training, SIGTERM and SIGHUP (a closed terminal, ``kill``, a batch system
    ending the job) stop the run as Ctrl-C does instead of killing it unsaved."""
    def handler(signum, frame):
        raise _Signalled(signum)

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), handler) for name in names}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)


def _save_interrupted(trainer, snapshot, path: Path, config: dict, args,
                      stop: KeyboardInterrupt) -> int:
    import numpy as np

    from dlscratch.io import load_npz, save_npz

    if isinstance(stop, _Signalled):
        how, code = f"Stopped by {signal.Signals(stop.signum).name}", 128 + stop.signum
    else:
        how, code = "Interrupted", INTERRUPTED
    print(file=sys.stderr)
    if snapshot.epoch is None:
        print(f"{how} before training started; nothing to save.", file=sys.stderr)
        return code
    state = load_npz(snapshot.path)
    state[CONFIG_KEY] = np.array(json.dumps(config))
    save_npz(path, state)
    print(f"{how} in epoch {trainer.current_epoch + 1}. Saved the run as it was after "
          f"epoch {snapshot.epoch} (iteration {snapshot.iteration:,}) to {path}", file=sys.stderr)
    print(f"Resume with: {_resume_command(args.argv, path)}", file=sys.stderr)
    return code


def _resume_command(argv: list[str], checkpoint: Path) -> str:
    """The command line that was run, with ``--resume checkpoint`` in place of any other."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--resume":
            skip = True
        elif not arg.startswith("--resume="):
            kept.append(arg)
    return shlex.join(["dlscratch", *kept, "--resume", str(checkpoint)])


def _resume(trainer, path: str, config: dict) -> None:
    """Load checkpoint ``path`` into ``trainer`` after checking it was made with ``config``."""
    from dlscratch.io import load_npz

    saved = load_npz(path).get(CONFIG_KEY)
    if saved is not None:
        saved = json.loads(str(saved[()]))
        now = json.loads(json.dumps(config))
        differ = [f"{key} {saved.get(key)!r} (now {now[key]!r})"
                  for key in now if saved.get(key) != now[key]]
        if differ:
            raise UsageError(f"{path} was made with other options: {'; '.join(differ)}; "
                             "resume with the options of the run that made it")
    trainer.load_checkpoint(path)
    print(f"Resuming from {path}: {trainer.current_epoch} of {trainer.epochs} epochs done "
          f"({trainer.current_iter:,} iterations)")
    if trainer.current_epoch >= trainer.epochs:
        print(f"Nothing left to train; pass --epochs larger than {trainer.current_epoch} "
              "to train further")


# ---------------------------------------------------------------- presets

def _run_preset(args) -> int:
    given = [f"--{name.replace('_', '-')}" for name in _NOT_FOR_PRESETS
             if getattr(args, name) is not None]
    if given:
        raise UsageError(f"--preset runs the experiment as published and does not take "
                         f"{', '.join(given)} (it takes --quick, --seed, --save, --out, --quiet)")
    if args.out is not None and args.save is None:
        raise UsageError("--out names the learning-curve figure written with --save; give --save")
    save_path = _prepare_output(args.save, args.overwrite)
    _curves_path(args.out, save_path)

    from dlscratch.experiments import run_preset

    result = run_preset(args.preset, quick=args.quick, seed=args.seed, verbose=not args.quiet)
    if args.quiet:
        print(result.summary())
    if save_path is not None:
        described = describe_network(result.network)
        class_name, arguments = described or (type(result.network).__name__, None)
        trained = {"preset": args.preset, "quick": args.quick, "final": result.final}
        save_model(result.network, save_path, class_name, arguments, trained=trained)
        print(f"wrote {save_path}")
        if described is None:
            print(f"note: {class_name} is not one of dlscratch's network classes, so "
                  "'dlscratch evaluate' and 'predict' cannot rebuild it from the file",
                  file=sys.stderr)
        path = _curves_path(args.out, save_path)
        write_figure(result.figure(), path)
    return 0

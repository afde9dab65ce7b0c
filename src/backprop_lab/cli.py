"""The ``backprop-lab`` command: parse, call the library, print.

    backprop-lab train                      # the guide's XOR 2-2-1 network
    backprop-lab train --dataset spiral --classes 3 --hidden 8,8 --activation tanh --loss ce
    backprop-lab gradcheck --activation relu --hidden 4
    backprop-lab export runs/* --tensorboard tb   # for tensorboard --logdir tb
    backprop-lab serve                      # the playground in the browser

Exit status: 0 done, 1 gradient check failed, 2 bad input (one sentence, nothing written),
3 training diverged, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from pathlib import Path

import numpy as np

from . import interrupts
from ._version import __version__
from .config import (
    OPTION,
    OPTIONS,
    SWEPT_OPTIONS,
    ConfigError,
    Option,
    ParseError,
    TrainConfig,
    parse_list,
)
from .data import DataError
from .history import History, RunError, dataset_name, load_run, save_run, to_json
from .numbers import percent, sig
from .predictions import format_prediction_table, table_heading
from .run_folder import (
    PARTIAL_SUFFIX,
    OutputError,
    OutputFolder,
    SwapError,
    add_to_manifest,
    check_default_root,
    default_run_folder,
    shown,
    updating,
)
from .sweep_kernel import ENGINES as SWEEP_ENGINES

EXIT_WRITE_FAILED, EXIT_BAD_INPUT, EXIT_DIVERGED = 1, 2, 3
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141


class UsageError(Exception):
    """Bad input from the command line: printed as one sentence, exit status 2."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM ended the command: printed as one line, exit status 130."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one sentence, no usage dump
        raise UsageError(message)


# --------------------------------------------------------------------------- option types


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _value(option: Option, *, in_list: bool = False):
    """The argparse type of ``option``: one value (or, ``in_list``, a sweep's comma-separated
    list of values) read as its declaration says, any error one sentence."""

    def parse(text: str):
        try:
            return parse_list(option.name, text) if in_list else option.parse(text)
        except ParseError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = option.name  # argparse names the type in some messages
    return parse


def _help(option: Option, *, in_list: bool = False) -> str:
    """``--help``'s line for a training option, from its declaration."""
    text = option.help
    if option.kind in ("features", "schedule"):
        text += ": " + option.allowed()
    if option.kind == "layers":
        text += " " + option.spelling(in_list=in_list)
    elif option.kind == "features" and in_list:
        text += (
            "; in a sweep's list + joins one set's features and commas separate sets "
            "(x1+x2,x1+x2+x1*x2)"
        )
    elif in_list:
        text += "; one value or a comma-separated list"
    if option.notes:
        text += "; " + ", ".join(f"{choice}: {note}" for choice, note in option.notes)
    return f"{text} (default: {option.format(option.default)})".replace("%", "%%")


class _NotAnOption(argparse.Action):
    """A training option this command does not take: one sentence saying why."""

    def __init__(self, option_strings, dest, command: str, why: str):
        super().__init__(
            option_strings, dest, nargs="?", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        self.command, self.why = command, why

    def __call__(self, parser, namespace, values, option_string=None):
        raise UsageError(f"{self.option_strings[0]} is not an option of {self.command}: {self.why}")


GRADCHECK_WHY = (
    "it trains nothing (it checks the gradients at the initial weights) and takes only the "
    "data and network options and --seed"
)


def _not_taken(option: Option, command: str) -> str:
    """Why ``command`` does not take ``option`` (empty: it does)."""
    if command == "gradcheck" and not option.gradcheck:
        return GRADCHECK_WHY
    if command == "sweep" and not option.sweep:
        return option.not_swept
    return ""


class _Given(argparse.Action):
    """Stores an option's value and notes that it was typed (in ``namespace.given``), so that
    options that contradict each other can be told from defaults."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        given: frozenset[str] = getattr(namespace, "given", frozenset())
        namespace.given = given | {self.dest}


# --plot-every redraws every figure (seconds each): at most this many times per run.
MAX_REDRAWS = 50

# Options that describe a generated dataset, meaningless beside --data (a CSV's own data).
GENERATED_DATA_OPTIONS = ("dataset", "classes", "n", "noise")


def _check_data_options(args: argparse.Namespace) -> None:
    """Refuse a generated dataset's options beside --data, instead of ignoring them."""
    given: frozenset[str] = getattr(args, "given", frozenset())
    if getattr(args, "data", None) is None:
        return
    for name in GENERATED_DATA_OPTIONS:
        if name in given:
            flag = "--" + name.replace("_", "-")
            raise UsageError(
                f"{flag} describes a generated dataset and --data reads a CSV file (its classes "
                f"and samples are the file's); give one of them"
            )


def _add_training_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The training options of ``command``, from their declarations in config.py: every
    option for train; the data and network options (with --seed) for gradcheck; for sweep, a
    comma-separated list of every option a sweep may vary. The rest get a sentence saying why
    the command does not take them."""
    in_list = command == "sweep"
    groups = {}
    for option in OPTIONS:
        why = _not_taken(option, command)
        if why:
            parser.add_argument(option.flag, action=_NotAnOption, command=command, why=why)
            continue
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(option.group)
        groups[option.group].add_argument(
            option.flag,
            action=_Given,
            type=_value(option, in_list=in_list),
            default=None if in_list else option.default,  # a sweep: None when not given
            metavar=option.metavar,
            help=_help(option, in_list=in_list),
        )


def _size(text: str) -> int:
    from .budget import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_budget_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--memory-budget",
        type=_size,
        default=None,
        metavar="SIZE",
        help="refuse to start what would need more memory, such as 4GB (default: half of "
        "this machine's)",
    )


def _budget(args: argparse.Namespace) -> int:
    from .budget import default_budget

    return args.memory_budget or default_budget()


def _frame_count(text: str) -> int:
    frames = _whole(text)
    if not 2 <= frames <= 1000:
        raise argparse.ArgumentTypeError(f"{frames} frames is out of range; give 2 to 1000")
    return frames


def _add_frames_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--frames", type=_frame_count, default=100, help="frames in training.gif (default: 100)"
    )


FIGURE_FORMATS = ("png", "svg", "pdf")  # plots.render.FORMATS, without importing matplotlib
DPI_RANGE = (30, 600)


def _formats(text: str) -> tuple[str, ...]:
    """--format: one or more of png, svg, pdf, comma-separated, in FIGURE_FORMATS' order."""
    given = [part.strip().lower() for part in text.split(",")]
    for name in given:
        if name not in FIGURE_FORMATS:
            raise argparse.ArgumentTypeError(
                f"{name!r} is not a figure format; give one or more of png, svg, pdf, "
                "comma-separated (png,svg)"
            )
    return tuple(kind for kind in FIGURE_FORMATS if kind in given)


def _dpi(text: str) -> float:
    dpi = _number(text)
    if dpi != dpi:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of dots per inch")
    low, high = DPI_RANGE
    if not low <= dpi <= high:
        raise argparse.ArgumentTypeError(
            f"{text} dots per inch is out of range; give {low} to {high} (default: 100)"
        )
    return dpi


def _add_figure_file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        type=_formats,
        default=("png",),
        metavar="FORMATS",
        dest="formats",
        help="the figures' file formats, one or more of png, svg, pdf, comma-separated "
        "(default: png; the report embeds the PNGs)",
    )
    parser.add_argument(
        "--dpi",
        type=_dpi,
        default=None,
        help=f"the figures' resolution in dots per inch, {DPI_RANGE[0]} to {DPI_RANGE[1]} "
        "(default: 100)",
    )


def _config(args: argparse.Namespace) -> TrainConfig:
    fields = TrainConfig.__dataclass_fields__
    return TrainConfig(**{name: value for name, value in vars(args).items() if name in fields})


# --------------------------------------------------------------------------- train


def _train(args: argparse.Namespace) -> int:
    from .budget import check, train_estimate
    from .starting_points import initial_params, source_note
    from .training import ReplayMismatch, build_dataset, check_compatible, layer_sizes

    _check_data_options(args)
    _check_start_options(args)
    _check_train_flags(args)
    if args.resume:
        config, dataset, args.continuing = _resumed(args)
    else:
        config = _config(args)
        dataset = build_dataset(config)
        check_compatible(config, dataset)
        initial_params(config, layer_sizes(config, dataset))  # checked before anything is said
        note = source_note(config)
        if note:
            print(note, file=sys.stderr)
    check(train_estimate(config, dataset), _budget(args), "training")
    if args.out is None and not args.resume:
        check_default_root(Path("runs"))
    if args.out is None and args.resume:
        folder = OutputFolder(args.init_from, "run", flag="--init-from")  # in its own folder
    elif args.out is None:
        folder = default_run_folder(dataset_name(config))
    else:
        folder = OutputFolder(args.out, "run")
    out = folder.out
    report = not (args.no_report or args.no_plots)  # the report is made of the figures
    try:
        with folder:
            history = _train_into(args, config, dataset, folder.partial, report)
    except ReplayMismatch as mismatch:
        raise UsageError(
            f"cannot resume {args.init_from}: replaying it does not give what it recorded at "
            f"epoch {mismatch.epoch} (it was changed after it was written, or written by "
            "another version); train a new run from it with --init-from instead"
        ) from None
    except KeyboardInterrupt:
        if folder.committed:
            raise Interrupted(_interrupted_while_drawing(args, out)) from None
        raise Interrupted(f"interrupted before the run was saved; {out} is as it was") from None
    _print_outcome(history, out, None if args.no_plots else out / "figures", report, args.formats)
    return _exit_status(history)


def _interrupted_while_drawing(args: argparse.Namespace, out: Path) -> str:
    """What to say when Ctrl-C lands after the run was saved, while its figures were drawn: the
    command that draws what is missing (plot in the formats asked for, report for the page); or,
    when every figure was drawn, that only the report is missing, or nothing."""
    from .report.html import missing_figures

    if args.formats == ("png",) and not args.no_report and not missing_figures(out):
        if (out / "report.html").is_file():
            return f"interrupted at the very end; the run in {out} is complete, with its report"
        return (
            f"interrupted while writing the report; the run and its figures are saved in {out} "
            f"(backprop-lab report {out} writes the report)"
        )
    plot = f"backprop-lab plot {out}"
    if args.formats != ("png",):
        plot += f" --format {','.join(args.formats)}"
    if args.dpi is not None:
        plot += f" --dpi {args.dpi:g}"
    if args.no_report:
        return (
            f"interrupted while drawing; the run is saved in {out} without all its figures "
            f"({plot} draws them)"
        )
    if args.formats == ("png",) and args.dpi is None:
        return (
            f"interrupted while drawing; the run is saved in {out} without all its figures "
            f"and report (backprop-lab report {out} draws what is missing)"
        )
    return (
        f"interrupted while drawing; the run is saved in {out} without all its figures and "
        f"report ({plot} draws the figures, then backprop-lab report {out} the report)"
    )


def _check_start_options(args: argparse.Namespace) -> None:
    """--init and --init-scale draw the starting weights that --weights and --init-from give:
    refused beside them, instead of ignored."""
    given: frozenset[str] = getattr(args, "given", frozenset())
    source = "--weights" if getattr(args, "weights", None) else (
        "--init-from" if getattr(args, "init_from", None) else None
    )  # fmt: skip
    drawn = [name for name in ("init", "init_scale") if name in given]
    if source and drawn:
        flag = "--" + drawn[0].replace("_", "-")
        raise UsageError(f"{flag} draws starting weights and {source} gives them; give one of them")


def _resumed(args: argparse.Namespace):
    """(config, dataset, the run it continues) for ``--init-from RUN --resume``: RUN's own
    options and data with --epochs more epochs. Any other training option is refused."""
    from .training import continue_config, resume_epoch

    given: frozenset[str] = getattr(args, "given", frozenset())
    if args.init_from is None:
        raise UsageError("--resume continues a run: name it with --init-from RUN")
    if "epochs" in given:
        OPTION["epochs"].check(args.epochs)  # the epochs to add, as typed
    try:
        source = load_run(args.init_from)
    except RunError as error:
        raise UsageError(f"cannot resume {args.init_from}: {error}") from None
    options = set(TrainConfig.__dataclass_fields__) - {"init_from", "epochs"}
    changed = sorted(
        name
        for name in given & options
        if getattr(args, name) != getattr(source.config, name)
        and not (name == "hidden" and tuple(args.hidden) == source.config.hidden)
    )
    if changed:
        flag = "--" + changed[0].replace("_", "-")
        raise UsageError(
            f"--resume continues {args.init_from} with its own options, so {flag} cannot "
            "change; leave it out, or train a new run with --init-from and without --resume"
        )
    more = args.epochs if "epochs" in given else source.config.epochs
    total = resume_epoch(source) + more
    if total > OPTION["epochs"].bounds[1]:
        raise UsageError(
            f"--epochs {more:,} would make {args.init_from} {total:,} epochs long, more than "
            f"the {int(OPTION['epochs'].bounds[1]):,} a run may have"
        )
    return continue_config(source, more), source.dataset, source


def _check_train_flags(args: argparse.Namespace) -> None:
    """Options of train that contradict each other or are out of range: one sentence each."""
    if args.plot_every < 0:
        raise UsageError(
            f"--plot-every must be a whole number of epochs of at least 1, got {args.plot_every}"
        )
    if args.plot_every and args.no_plots:
        raise UsageError("--plot-every draws figures and --no-plots draws none; give one of them")
    if args.no_plots and (args.formats != ("png",) or args.dpi is not None):
        flag = "--format" if args.formats != ("png",) else "--dpi"
        raise UsageError(f"{flag} is for the figures and --no-plots draws none; give one of them")
    if args.log_every < 0:
        raise UsageError(
            f"--log-every must be a whole number of epochs (0: no lines), got {args.log_every}"
        )
    epochs = getattr(args, "epochs", 0)
    if args.plot_every and epochs / args.plot_every > MAX_REDRAWS:
        sane = -(-epochs // MAX_REDRAWS)
        print(
            f"note: --plot-every {args.plot_every} would redraw the figures "
            f"{epochs // args.plot_every} times (seconds each); redrawing them every {sane} "
            f"epochs instead ({MAX_REDRAWS} times)",
            file=sys.stderr,
        )
        args.plot_every = sane


def _train_into(args, config: TrainConfig, dataset, partial: Path, report: bool) -> History:
    """Train, then write the run, its figures and its report into ``partial`` (the folder that
    becomes the run folder once everything is written)."""
    from .training import resume_epoch, train

    figures = partial / "figures"
    formats = args.formats
    if report and not args.no_plots and "png" not in formats:
        others = " and ".join(kind.upper() for kind in formats)
        print(
            "note: the report is made of PNG figures, so they are written beside the "
            f"{others} files (--no-report leaves them out)",
            file=sys.stderr,
        )
        formats = ("png", *formats)
    redraw = None
    if args.plot_every:
        print(
            f"figures are redrawn every {args.plot_every} epochs in {figures} while training "
            "runs (moved into the run folder at the end)",
            file=sys.stderr,
        )

        def redraw(partial_history: History) -> None:
            _draw(partial_history, figures, 0, formats, args.dpi, progress=False)

    continuing = getattr(args, "continuing", None)
    if continuing is not None and not args.quiet:
        print(
            f"continuing {args.init_from} from epoch {resume_epoch(continuing)} to epoch "
            f"{config.epochs}: replaying its recorded epochs first to rebuild the optimiser "
            "and random states (checked against what it recorded)",
            file=sys.stderr,
        )
    history = train(
        config,
        dataset,
        progress=not args.quiet and sys.stderr.isatty(),
        checkpoint_every=args.plot_every,
        on_checkpoint=redraw,
        continuing=continuing,
        log_every=args.log_every,
    )
    save_run(history, partial)
    parts = []  # the report's explorer and diagnosis, made while the animation is drawn
    compacted = {}  # the report's pictures, compacted as the figures are drawn
    if not args.no_plots:
        from .report.html import compact_figure, report_parts

        if not args.quiet:
            _say_drawing(None, args.frames, formats, args.dpi)
        meanwhile = (lambda: parts.append(report_parts(history))) if report else None
        compacted = _draw(history, figures, args.frames, formats, args.dpi, not args.quiet,
                          meanwhile, compact_figure if report else None)  # fmt: skip
    if report:
        from .report import write_report

        if not args.quiet:
            print("writing report.html", file=sys.stderr, flush=True)
        write_report(history, partial, parts=parts[0] if parts else None, compacted=compacted)
    return history


def _say_drawing(count: int | None, frames: int, formats, dpi: float | None) -> None:
    """The line before the figures are drawn (seconds each): how many, in what, at what dpi,
    and the animation's frames."""
    from .plots import FIGURES

    count = len(FIGURES) if count is None else count
    parts = []
    if count:
        figures = f"{count} figure{'s' * (count != 1)} as {', '.join(f.upper() for f in formats)}"
        parts.append(figures + (f" at {dpi:g} dpi" if dpi is not None else ""))
    if frames:
        parts.append(f"the animation ({frames} frames)")
    what = " and ".join(parts)
    print(f"drawing {what}", file=sys.stderr, flush=True)


def _print_outcome(
    history: History, out: Path, figures: Path | None, report: bool, formats=("png",)
) -> None:
    """The classic table, the final numbers, where everything was written, the diagnosis."""
    from .diagnose import diagnose, format_findings

    s = history.summary
    print(f"{table_heading(history)}:")
    print(format_prediction_table(history))
    epochs = f"{s.epochs} epoch{'' if s.epochs == 1 else 's'}"
    print(f"{final_numbers(history)}, {epochs} in {s.wall_time_s:.2f} s ({s.status})")
    print(f"run folder: {out}")
    if figures is not None:
        first = "png" if report or "png" in formats else formats[0]
        print(f"figures: {figures} (start with dashboard.{first})")
    if report:
        print(f"report: {out / 'report.html'} (open it in a browser)")
    print("\ndiagnosis:")
    print(format_findings(diagnose(history)))


def final_numbers(history: History) -> str:
    """The final numbers in words ("final loss 0.0003, accuracy 100%"): the penalty's part of
    the loss, R² and RMSE for regression, the test split's."""
    s = history.summary
    if history.is_regression:
        score = f"R² {sig(s.final_accuracy)}, RMSE {sig(float(history.rmse[-1]))}"
        test_score = (
            f"test R² {sig(s.final_test_accuracy)}" if s.final_test_loss is not None else ""
        )
    else:
        score = f"accuracy {percent(s.final_accuracy, 1)}"
        test_score = f"test accuracy {percent(s.final_test_accuracy, 1)}"
    penalty = ""
    if len(history.penalty):
        penalty = (
            f" (data {sig(float(history.data_loss[-1]))} + penalty "
            f"{sig(float(history.penalty[-1]))})"
        )
    test = ""
    if s.final_test_loss is not None:
        test = f", test loss {sig(s.final_test_loss)}, {test_score}"
    return f"final loss {sig(s.final_loss)}{penalty}, {score}{test}"


def _rate_text(history: History) -> str:
    """ "--lr 2", or with a schedule "--lr 2 and --lr-schedule exp:2 (a rate of 5e+03 at
    epoch 12)": the rate of the epoch that diverged."""
    config = history.config
    penalty = "".join(
        f" and --{name} {getattr(config, name):g}" for name in ("l2", "l1") if getattr(config, name)
    )
    if config.lr_schedule == "constant":
        return f"--lr {config.lr:g}{penalty}"
    epoch = history.summary.diverged_epoch or 0
    rate = config.lr * config.schedule.factor_at(epoch, config.epochs)
    schedule = f"--lr-schedule {config.lr_schedule}"
    return f"--lr {config.lr:g}{penalty} and {schedule} (a rate of {rate:g} at epoch {epoch})"


def _exit_status(history: History) -> int:
    """0, or EXIT_DIVERGED / EXIT_INTERRUPTED with a sentence on stderr."""
    from .diagnose import lower_learning_rate

    s = history.summary
    if s.status == "diverged" and not np.isfinite(history.loss[0]):
        start = f"--weights {history.config.weights}" if history.config.weights else (
            f"--init-from {history.config.init_from}" if history.config.init_from else "--init"
        )  # fmt: skip
        print(
            "backprop-lab: the loss of the starting weights is not a finite number, before any "
            "update (no learning rate can help): the starting weights, the inputs or the "
            f"targets are too large; use smaller ones than {start} or scale the data",
            file=sys.stderr,
        )
        return EXIT_DIVERGED
    if s.status == "diverged":
        print(
            f"backprop-lab: training diverged at epoch {s.diverged_epoch}: the loss or the "
            f"weights became NaN or infinite with {_rate_text(history)}. Try a lower "
            f"learning rate, such as {lower_learning_rate(history)}.",
            file=sys.stderr,
        )
        return EXIT_DIVERGED
    if s.status == "interrupted":
        print(
            f"backprop-lab: interrupted at epoch {s.epochs - 1}; everything up to it is saved",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0


def _draw(
    history: History,
    folder: Path,
    animation_frames: int,
    formats: tuple[str, ...] = ("png",),
    dpi: float | None = None,
    progress: bool = True,
    meanwhile=None,
    compact=None,
) -> dict:
    """Every figure in each of ``formats`` at ``dpi``, and the animation unless
    ``animation_frames`` is 0; with ``progress``, a bar of the figures on a terminal;
    ``meanwhile``, ``compact`` and what is returned: see plots.draw_run."""
    from .plots import draw_run

    bar = progress and sys.stderr.isatty()
    return draw_run(history, folder, animation_frames, formats, dpi, progress=bar,
                    meanwhile=meanwhile, compact=compact)  # fmt: skip


# --------------------------------------------------------------------------- plot


def _only(text: str | None, names: list[str]) -> tuple[list[str], bool]:
    """--only's figures (file names) and whether it names the animation; every figure and the
    animation without it."""
    if text is None:
        return names, True
    stems = {name.removesuffix(".png"): name for name in names}
    given = [part.strip().lower().removesuffix(".png") for part in text.split(",")]
    if any(given) and "" in given:
        raise UsageError("--only has an empty name between commas; give names such as loss,network")
    given = [stem for stem in given if stem]
    for stem in given:
        if stem not in stems and stem != "animation":
            raise UsageError(
                f"--only {stem!r} is not a figure; give one or more of "
                f"{', '.join([*stems, 'animation'])}, comma-separated"
            )
    if not given:
        raise UsageError("--only names no figure; give one or more, such as --only loss,network")
    return [stems[stem] for stem in stems if stem in given], "animation" in given


def _plot(args: argparse.Namespace) -> int:
    from .history import load_run
    from .plots import FIGURES, draw_figures, write_animation

    names, animation = _only(args.only, list(FIGURES))
    if args.no_animation and args.only is not None and animation:
        raise UsageError("--only names the animation and --no-animation skips it; give one")
    history = load_run(args.run)
    folder = Path(args.run) / "figures"
    if args.epoch is not None:
        history = history.upto(args.epoch)
        folder = folder / f"epoch-{args.epoch}"
    frames = 0 if args.no_animation or not animation else args.frames
    with updating(args.run):
        _say_drawing(len(names), frames, args.formats, args.dpi)
        try:
            if len(names) == len(FIGURES):
                _draw(history, folder, frames, args.formats, args.dpi)
            else:  # a few figures: one after the other is quicker than a second process
                draw_figures(history, folder, names, args.formats, args.dpi)
                if frames:
                    write_animation(history, folder, frames)
        except BaseException:  # Ctrl-C, a full disk: the files written so far are the run's too
            with contextlib.suppress(OSError):
                add_to_manifest(Path(args.run))
            raise
        with interrupts.held():  # Ctrl-C now waits until every file drawn is recorded
            add_to_manifest(Path(args.run))
    print(f"figures: {folder}")
    return 0


# --------------------------------------------------------------------------- export


def _export(args: argparse.Namespace) -> int:
    from .tensorboard_export import ExportError, export_runs

    def say(line: str) -> None:
        print(f"exporting {line}", file=sys.stderr, flush=True)

    try:
        folders = export_runs(args.runs, args.tensorboard, progress=say)
    except ExportError as error:
        raise UsageError(str(error)) from None
    for folder in folders:
        print(f"tensorboard: {shown(folder)}")
    print(f"view them: tensorboard --logdir {shown(args.tensorboard)}")
    return 0


# --------------------------------------------------------------------------- sweep


def _sweep(args: argparse.Namespace) -> int:
    from .budget import check, sweep_estimate
    from .report.sweep_page import run_sweep
    from .sweep_workers import SpreadError

    _check_data_options(args)
    base, grid = {}, {}
    for name in SWEPT_OPTIONS:
        values = getattr(args, name)  # a list, read by _value(in_list=True); None: not given
        if values is None:
            continue
        if len(values) == 1:
            base[name] = values[0]
        else:
            grid[name] = values
    if args.seeds < 1:
        raise UsageError(f"--seeds must be a whole number of at least 1, got {args.seeds}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be a whole number of at least 1, got {args.workers}")
    if args.dask is not None and args.workers is not None:
        raise UsageError("--workers is for this machine's cores; with --dask the cluster decides")
    check(sweep_estimate(base, grid, args.seeds), _budget(args), "the sweep")
    heatmap = (
        tuple(part.strip().replace("-", "_") for part in args.heatmap.split(","))
        if args.heatmap
        else None
    )
    _check_sweep(base, grid, heatmap, args.out)
    client = _dask_client(args.dask) if args.dask is not None else None
    print(_sweep_plan(base, grid, args), flush=True)
    folder = (
        OutputFolder(args.out, "sweep")
        if args.out is not None
        else default_run_folder(_sweep_name(base, grid), Path("sweeps"), "sweep")
    )
    out = folder.out
    try:
        with folder:
            stacks = run_sweep(
                base,
                grid,
                args.seeds,
                folder.partial,
                progress=not args.quiet and sys.stderr.isatty(),
                heatmap=heatmap,
                engine=args.engine,
                workers=args.workers,
                dask=client,
            )
    except SpreadError as error:
        raise UsageError(str(error)) from None
    except KeyboardInterrupt:
        if folder.committed:
            raise Interrupted(
                f"interrupted; the networks trained so far are saved in {out}"
            ) from None
        raise Interrupted(f"interrupted before any result was saved; {out} is as it was") from None
    networks = sum(len(s.seeds) for s in stacks)
    solved = sum(int((s.outcome == "solved").sum()) for s in stacks)
    combos = f"{len(stacks):,} combination{'s' if len(stacks) != 1 else ''}"
    print(f"{combos} x {args.seeds:,} seeds = {networks:,} networks; {solved:,} solved")
    print(f"sweep: {out / 'sweep.html'}, {out / 'summary.csv'}, {out / 'results.csv'}")
    return 0


def _sweep_name(base: dict, grid: dict) -> str:
    """The name a sweep's default folder ends in: its dataset's, or "sweep" when the data is
    swept."""
    from .sweep import validate_grid

    if "dataset" in grid or "data" in grid:
        return "sweep"
    return dataset_name(validate_grid(base, grid)[0])


def _check_sweep(base: dict, grid: dict, heatmap: tuple[str, str] | None, out: str | None) -> None:
    """The sweep's checks that need no training, run before its plan line is printed and before
    a Dask client connects: every option, the heatmap's axes, every combination's data (against
    its options) and the output folder. Each refusal is one sentence."""
    from .run_folder import check_default_root, check_output
    from .sweep import check_datasets, check_heatmap, swept_options, validate_grid

    configs = validate_grid(base, grid)
    check_heatmap(heatmap, swept_options(grid))
    check_datasets(configs)
    if out is not None:
        check_output(out, "sweep")
    else:  # a new folder under sweeps/
        check_default_root(Path("sweeps"), "sweep")


def _dask_client(address: str):
    from .sweep_workers import DaskError, dask_client

    try:
        return dask_client(address)
    except DaskError as error:
        raise UsageError(str(error)) from None


def _sweep_plan(base: dict, grid: dict, args: argparse.Namespace) -> str:
    """What the sweep is about to do, in one line: its size, engine and cores."""
    from .sweep import combinations, engine_for, validate_grid
    from .sweep_kernel import compile_note
    from .sweep_workers import SPREAD_FROM, cores

    configs = validate_grid(base, grid)
    work = sum(c.epochs for c in configs) * args.seeds
    engines = {engine_for(c, args.engine, work) for c in configs}
    count = len(combinations(grid))
    size = (
        f"{count:,} combination{'s' if count != 1 else ''} x {args.seeds:,} seeds = "
        f"{count * args.seeds:,} networks, {work:,} network-epochs"
    )
    if args.dask is not None:
        where = f"on the Dask cluster at {args.dask}"
    else:
        workers = args.workers or cores()
        if "compiled" in engines:
            used = min(workers, cores())
            where = f"on {used} core{'s' if used != 1 else ''}"
        elif work >= SPREAD_FROM and workers > 1:
            where = f"in {workers} worker processes on {cores()} core{'s' if cores() != 1 else ''}"
        else:
            where = "on 1 core"
    engine = " and ".join(sorted(engines)).replace("numpy", "NumPy")
    note = compile_note() if "compiled" in engines else ""
    return f"sweep: {size}; {engine} engine {where}{note}"


# --------------------------------------------------------------------------- report


def _report(args: argparse.Namespace) -> int:
    from .history import load_run
    from .report import write_report
    from .report.html import missing_figures

    history = load_run(args.run)
    with updating(args.run):
        missing = missing_figures(args.run)
        if missing:
            shown_names = ", ".join(missing[:3]) + (
                f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            )
            print(f"drawing the figures and the animation ({shown_names} missing or damaged)",
                  file=sys.stderr, flush=True)  # fmt: skip
        path = write_report(history, args.run, static=args.static, missing=missing)
        add_to_manifest(Path(args.run))
    print(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .report.compare import resolve_runs, write_comparison

    folder = OutputFolder(args.out, "comparison")
    runs, out = resolve_runs(args.runs), folder.out
    with folder:
        html_path, png_path = write_comparison(runs, folder.partial)
    print(f"comparison: {out / html_path.name} and {out / png_path.name}")
    return 0


# --------------------------------------------------------------------------- diagnose, explain


def _diagnose(args: argparse.Namespace) -> int:
    from .diagnose import diagnose, format_findings
    from .history import load_run

    findings = diagnose(load_run(args.run))
    if args.json:
        print(to_json([f.to_dict() for f in findings]))
    else:
        print(format_findings(findings))
    return 0


def _sample(text: str) -> int | str:
    if text.strip().lower() == "all":
        return "all"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a sample; give its index, or all"
        ) from None


def _explain(args: argparse.Namespace) -> int:
    from .explain import explain, format_explanation
    from .history import load_run
    from .plots import save_figure
    from .plots.explain_figure import explain_figure

    history = load_run(args.run)
    explanation = explain(history, args.epoch, args.sample, progress=sys.stderr.isatty())
    if args.json:
        print(to_json(explanation.to_dict()))
    else:
        print(format_explanation(explanation))
    if not args.no_figure:
        folder = Path(args.run) / "figures"
        with updating(args.run):
            folder.mkdir(exist_ok=True)
            path = save_figure(explain_figure(explanation), folder / "explain.png")
            add_to_manifest(Path(args.run))
        print(f"figure: {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


# --------------------------------------------------------------------------- gradcheck


def _gradcheck(args: argparse.Namespace) -> int:
    from .budget import check, gradcheck_estimate
    from .gradcheck import THRESHOLD, model_gradient_check
    from .starting_points import initial_params
    from .training import build_dataset, check_compatible, dropout_masks, generators, layer_sizes

    _check_data_options(args)
    _check_start_options(args)
    config = _config(args)
    dataset = build_dataset(config)
    check_compatible(config, dataset)
    check(gradcheck_estimate(config, dataset), _budget(args), "the gradient check")
    params = initial_params(config, layer_sizes(config, dataset))
    masks = None
    if config.dropout:
        # The masks of the run's first full-batch step: the loss a training step differentiates.
        masks = dropout_masks(generators(config)[1], len(dataset.X), config.hidden, config.dropout)
    sizes = "-".join(map(str, layer_sizes(config, dataset)))
    # Said before the check starts: a large network takes a while, and then a bar shows on
    # stderr (only once a second has passed).
    print(
        f"gradient check: {dataset.name}, {sizes} {config.activation}, {config.loss} loss, "
        f"fourth-order central differences, h = 1e-3, float64, threshold {THRESHOLD:g}",
        flush=True,
    )
    _warn_if_long(params, len(dataset.X))
    bar = _EntryBar()
    result = None
    try:
        result = model_gradient_check(
            config.model, params, dataset.X, dataset.Y, masks, progress=bar.update
        )
    except KeyboardInterrupt:
        pass
    finally:
        bar.close()
    if result is None:
        print("gradient check interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    _print_gradcheck(result)
    return 0 if result.passed else 1


def _warn_if_long(params, n_samples: int) -> None:
    from .gradcheck import sample_sizes

    entries = sum(p.size for p in params)
    if sum(sample_sizes([p.shape for p in params], n_samples)) < entries:
        return  # a random sample of the entries is checked, which the result says
    work = entries * 4 * n_samples * sum(p.size for p in params[0::2])  # multiply-adds
    if work > 1e11:
        print(
            f"note: {entries:,} entries x 4 stencil points, each a forward pass over "
            f"{n_samples:,} samples: a long check (the bar on stderr estimates how long; "
            "Ctrl-C stops it). A smaller --n or --hidden checks the same code much faster.",
            flush=True,
        )


class _EntryBar:
    """A tqdm bar of the entries checked, shown once a check has run for a second."""

    def __init__(self):
        self.bar = None

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, delay=1.0, unit=" entries", leave=False, dynamic_ncols=True
            )
        if total != self.bar.total:  # entries checked a second way add to the count
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_gradcheck(result) -> None:
    """The notes, any problems, one line per parameter array (and its worst entry when it
    fails), and the verdict."""
    shown = 10
    for move in result.moves[:shown]:
        print(f"note: {move}")
    if len(result.moves) > shown:
        print(f"note: and {len(result.moves) - shown} more units moved off the kink the same way")
    for note in result.notes:
        print(f"note: {note}")
    for problem in result.problems:
        print(f"not checked: {problem}")
    for check in result.checks:
        verdict = "ok" if check.passed else "FAIL"
        error = check.max_relative_error
        entries = (
            f"{check.size:>6} entries"
            if check.checked is None
            else f"{check.checked:>6} of {check.size} entries"
        )
        print(f"  {check.name:<4} {entries}  max relative error {error:.2e}  {verdict}")
        if not check.passed:
            where = ", ".join(map(str, check.worst_index))
            print(
                f"       worst at {check.name}[{where}]: backprop {check.worst_gradient:.10g}, "
                f"numeric {check.worst_numeric:.10g}"
            )
    if result.problems:
        print("the check could not be completed")
    else:
        print("all gradients agree" if result.passed else "some gradients disagree")


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="backprop-lab",
        description="Train small neural networks by hand-written backpropagation and see how "
        "they learn.",
    )
    parser.add_argument("--version", action="version", version=f"backprop-lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    _train_command(commands)
    _plot_command(commands)
    _sweep_command(commands)
    _report_command(commands)
    _compare_command(commands)
    _diagnose_command(commands)
    _explain_command(commands)
    _gradcheck_command(commands)
    _export_command(commands)
    _serve_command(commands)
    return parser


def _train_command(commands) -> None:
    train = commands.add_parser("train", help="train a network and write its run folder")
    _add_training_options(train, "train")
    train.add_argument(
        "--out", metavar="DIR", help="run folder (default: runs/<date>-<time>-<dataset>)"
    )
    train.add_argument(
        "--resume",
        action="store_true",
        help="with --init-from RUN: continue that run for --epochs more epochs (default: as "
        "many as it had), in its own folder unless --out is given",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--no-plots", action="store_true", help="write no figures, animation or report"
    )
    train.add_argument("--no-report", action="store_true", help="write no report.html")
    train.add_argument(
        "--plot-every",
        type=_whole,
        default=0,
        metavar="N",
        help="redraw the figures every N epochs while training (reopen them to watch)",
    )
    train.add_argument(
        "--log-every",
        type=_whole,
        default=0,
        metavar="N",
        help="print a line of numbers every N epochs: epoch, loss, accuracy, test loss, time "
        "per epoch (default: none)",
    )
    _add_figure_file_options(train)
    _add_frames_option(train)
    _add_budget_option(train)
    train.set_defaults(handler=_train)


def _plot_command(commands) -> None:
    plot = commands.add_parser("plot", help="draw a run's figures and animation into RUN/figures")
    plot.add_argument("run", metavar="RUN", help="a run folder")
    plot.add_argument("--epoch", type=_whole, help="draw the figures as they stood at this epoch")
    plot.add_argument("--no-animation", action="store_true", help="skip training.gif")
    plot.add_argument(
        "--only",
        metavar="NAMES",
        help="draw only these, comma-separated: figure names as in RUN/figures without .png "
        "(loss,network) and animation",
    )
    _add_figure_file_options(plot)
    _add_frames_option(plot)
    plot.set_defaults(handler=_plot)


def _export_command(commands) -> None:
    export = commands.add_parser(
        "export", help="write runs as TensorBoard event files (tensorboard --logdir DIR)"
    )
    export.add_argument("runs", nargs="+", metavar="RUN", help="one or more run folders")
    export.add_argument(
        "--tensorboard",
        metavar="DIR",
        required=True,
        help="the TensorBoard log folder; each run goes into DIR/<its folder name>, replacing an "
        "earlier export of it",
    )
    export.set_defaults(handler=_export)


def _sweep_command(commands) -> None:
    sweep = commands.add_parser(
        "sweep", help="train every combination of options x N seeds at once; statistics of success"
    )
    _add_training_options(sweep, "sweep")
    sweep.add_argument(
        "--seeds", type=_whole, default=20, help="networks per combination (default: 20)"
    )
    sweep.add_argument(
        "--out", metavar="DIR", help="where to write the results (default: "
        "sweeps/<date>-<time>-<dataset>)"
    )  # fmt: skip
    sweep.add_argument(
        "--heatmap", metavar="A,B", help="the two swept options on the success heatmap"
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument(
        "--engine",
        choices=SWEEP_ENGINES,
        default="auto",
        help="compiled: numba's fused kernel on every core (pip install 'backprop-lab[fast]'); "
        "numpy: bit for bit train's arithmetic; auto (default): compiled where installed and "
        "the sweep is large enough to gain",
    )
    sweep.add_argument(
        "--workers",
        type=_whole,
        metavar="N",
        help="cores to train on (default: all of this machine's)",
    )
    sweep.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="train on the Dask cluster whose scheduler is at ADDRESS, e.g. tcp://10.0.0.5:8786 "
        "(pip install 'backprop-lab[dask]'; see docs/sweep.md)",
    )
    _add_budget_option(sweep)
    sweep.set_defaults(handler=_sweep)


def _report_command(commands) -> None:
    report = commands.add_parser("report", help="write RUN/report.html, one self-contained page")
    report.add_argument("run", metavar="RUN", help="a run folder")
    report.add_argument(
        "--static", action="store_true",
        help="images only, no interactive charts: RUN/report-static.html, beside report.html",
    )  # fmt: skip
    report.set_defaults(handler=_report)


def _compare_command(commands) -> None:
    compare = commands.add_parser(
        "compare", help="several runs side by side: compare.html, compare.png"
    )
    compare.add_argument(
        "runs", metavar="RUN", nargs="+", help="run folders, a folder of runs, or a glob"
    )
    compare.add_argument(
        "--out", metavar="DIR", required=True, help="where to write the comparison"
    )
    compare.set_defaults(handler=_compare)


def _diagnose_command(commands) -> None:
    diagnose = commands.add_parser("diagnose", help="say what went wrong in a run, and what to try")
    diagnose.add_argument("run", metavar="RUN", help="a run folder")
    diagnose.add_argument("--json", action="store_true", help="print the findings as JSON")
    diagnose.set_defaults(handler=_diagnose)


def _explain_command(commands) -> None:
    explain = commands.add_parser("explain", help="one forward and backward pass, number by number")
    explain.add_argument("run", metavar="RUN", help="a run folder")
    explain.add_argument("--epoch", type=_whole, default=0, help="any epoch that ran (default: 0)")
    explain.add_argument(
        "--sample", type=_sample, default=0, help="a training sample's index, or all (default: 0)"
    )
    explain.add_argument("--json", action="store_true", help="print the numbers as JSON")
    explain.add_argument(
        "--no-figure", action="store_true", help="do not write figures/explain.png"
    )
    explain.set_defaults(handler=_explain)


def _gradcheck_command(commands) -> None:
    gradcheck = commands.add_parser("gradcheck", help="check backprop against finite differences")
    _add_training_options(gradcheck, "gradcheck")
    _add_budget_option(gradcheck)
    gradcheck.set_defaults(handler=_gradcheck)


def _serve_command(commands) -> None:
    serve = commands.add_parser(
        "serve", help="the playground: train in the browser and see every number"
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    serve.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    serve.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a browser"
    )
    serve.add_argument(
        "--runs", metavar="DIR", default="runs", help="where saved runs go (default: runs)"
    )
    serve.set_defaults(handler=_serve)


def _port(text: str) -> int:
    port = _whole(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1 to 65535)")
    return port


def _serve(args: argparse.Namespace) -> int:
    from .web.server import ServeError, serve

    try:
        serve(args.host, args.port, Path(args.runs), open_browser=not args.no_browser)
    except ServeError as error:
        raise UsageError(str(error)) from None
    interrupts.settle()  # Ctrl-C is how the server is meant to stop
    return 0


def main(argv: list[str] | None = None, *, exiting: bool = False) -> int:
    """Run one command; every way it can end is an exit status and at most one line on stderr:
    0 done, 1 a gradient check failed or a file could not be written (a full disk), 2 bad
    input, 3 training diverged, 130 interrupted (Ctrl-C or SIGTERM), 141 the reader of the
    output went away. ``exiting``: the process ends after this (see :func:`run`)."""
    try:
        with interrupts.handled(restore=not exiting):
            status = _command(argv)
            interrupts.check()  # an interruption swallowed on the way still counts
            return status
    except ConfigError as error:
        return _fail(error.flag_message(), EXIT_BAD_INPUT)
    except (UsageError, DataError, RunError, OutputError) as error:
        return _fail(str(error), EXIT_BAD_INPUT)
    except Interrupted as interrupted:
        return _fail(str(interrupted), EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        return _fail("interrupted; what was finished before is kept", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``backprop-lab train | head``): stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except SwapError as error:
        return _fail(str(error), EXIT_WRITE_FAILED)
    except OSError as error:  # a full disk, a folder that became read-only
        return _fail(_write_failure(error), EXIT_WRITE_FAILED)


def _command(argv: list[str] | None) -> int:
    import matplotlib

    matplotlib.use("Agg")  # a command writes files and opens no window, even with a display
    args = build_parser().parse_args(argv)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return args.handler(args)


def run() -> None:
    """The ``backprop-lab`` program: :func:`main`, then exit with its status, ignoring any
    signal that arrives once the command is over (it has already said how it ended)."""
    from .collector import collect_rarely

    collect_rarely()
    try:
        status = main(exiting=True)
        interrupts.ignore()
    except KeyboardInterrupt:  # in the instant between the command's end and the line above
        status = EXIT_INTERRUPTED
    sys.exit(status)


def _fail(message: str, status: int) -> int:
    print(f"backprop-lab: error: {message}" if status != EXIT_INTERRUPTED else
          f"backprop-lab: {message}", file=sys.stderr)  # fmt: skip
    return status


def _write_failure(error: OSError) -> str:
    """One sentence for a file that could not be written. A file of a folder being written as
    a transaction (train, sweep, compare) is named where it would have been, and nothing was
    replaced; elsewhere (plot, report, explain) every file written before it is whole."""
    parts = Path(error.filename).parts if error.filename else ()
    staged = any(part.endswith(PARTIAL_SUFFIX) for part in parts)
    where = " " + str(Path(*(p.removesuffix(PARTIAL_SUFFIX) for p in parts))) if parts else ""
    after = "nothing was replaced" if staged else "every file written before it is whole"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full: could not write{where}; {after}"
    reason = os.strerror(error.errno).lower() if error.errno else str(error)
    return f"could not write{where} ({reason}); {after}"


if __name__ == "__main__":
    run()

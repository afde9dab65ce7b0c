"""compare: several runs side by side, also of different datasets; clear errors otherwise."""

import base64
import io
import re
import shutil
from typing import Any

import numpy as np
import pytest
from PIL import Image

from backprop_lab import TrainConfig, load_run, save_run, train
from backprop_lab.cli import main
from backprop_lab.report.compare import (
    boundaries_figure,
    comparison_figure,
    resolve_runs,
    run_labels,
)
from backprop_lab.run_folder import read_manifest


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    parent = tmp_path_factory.mktemp("runs")
    configs = {
        "lr2": TrainConfig(epochs=1500),
        "lr05": TrainConfig(epochs=1500, lr=0.5),
        "tanh": TrainConfig(epochs=1500, hidden=(4,), activation="tanh", init="xavier", lr=0.5),
        "spiral": TrainConfig(
            dataset="spiral",
            classes=3,
            hidden=(8, 8),
            loss="ce",
            optimizer="adam",
            lr=0.02,
            epochs=300,
        ),
    }
    for name, config in configs.items():
        save_run(train(config), parent / name)
    return parent


@pytest.fixture(scope="module")
def compared(runs, tmp_path_factory):
    """`backprop-lab compare` of the folder of four runs, written once; the tests read it."""
    out = tmp_path_factory.mktemp("compared") / "cmp"
    assert main(["compare", str(runs), "--out", str(out)]) == 0
    return out


def test_compare_a_folder_of_runs(compared):
    out = compared
    manifest = read_manifest(out)
    assert manifest is not None and manifest["kind"] == "comparison"
    assert manifest["files"] == ["compare.html", "compare.png"]
    page = (out / "compare.html").read_text()
    with Image.open(out / "compare.png") as image:
        assert image.width > 1000
    for name in ("lr2", "lr05", "tanh", "spiral"):
        assert f"<td>{name}</td>" in page
    assert "<th>lr</th>" in page and "<th>seed</th>" not in page  # only the options that differ
    assert "different losses (ce, mse)" in page and "different datasets (spiral, xor)" in page
    assert "plateau (info)" in page


def test_compare_by_glob_and_by_listing(runs, tmp_path):
    assert main(["compare", str(runs / "lr*"), "--out", str(tmp_path / "glob")]) == 0
    page = (tmp_path / "glob" / "compare.html").read_text()
    assert "<td>lr2</td>" in page and "<td>tanh</td>" not in page
    assert (
        main(["compare", str(runs / "lr2"), str(runs / "tanh"), "--out", str(tmp_path / "two")])
        == 0
    )


def test_not_a_run_or_a_damaged_run_gets_one_sentence(runs, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["compare", str(empty), "--out", str(tmp_path / "x")]) == 2
    assert "is not a run folder and holds no run folders" in capsys.readouterr().err
    damaged = tmp_path / "damaged"
    shutil.copytree(runs / "lr2", damaged)
    (damaged / "history.npz").write_bytes(b"broken")
    assert main(["compare", str(damaged), str(runs / "lr05"), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "history.npz is damaged" in err and err.count("\n") == 1


def test_compare_page_in_a_browser(compared, watch):
    w = watch()
    page = w.open(compared / "compare.html")
    image = page.locator("figure img")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.is_visible() and page.locator("#loss-chart .main-svg").first.is_visible()
    assert w.outside == [] and w.errors == []


def _histories(*paths):
    return [load_run(p) for p in paths], list(paths)


def test_runs_are_named_by_what_differs(runs, tmp_path):
    histories, paths = _histories(runs / "lr05", runs / "lr2")
    assert run_labels(histories, paths) == ["lr=0.5", "lr=2"]
    histories, paths = _histories(runs / "lr2", runs / "tanh")
    assert run_labels(histories, paths) == [
        "hidden=2, activation=sigmoid, init=normal, lr=2",
        "hidden=4, activation=tanh, init=xavier, lr=0.5",
    ]
    # Two runs with the same options keep their folder names apart.
    twin = tmp_path / "twin"
    shutil.copytree(runs / "lr2", twin)
    histories, paths = _histories(runs / "lr05", runs / "lr2", twin)
    assert run_labels(histories, paths) == ["lr=0.5", "lr=2 (lr2)", "lr=2 (twin)"]
    # Nothing differs: the folder names.
    histories, paths = _histories(runs / "lr2", twin)
    assert run_labels(histories, paths) == ["lr2", "twin"]


def test_tables_print_values_as_typed_not_python_reprs(compared):
    page = (compared / "compare.html").read_text()
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    cells = re.findall(r"<td>(.*?)</td>", text)
    for bad in ("None", "[]", "[2]", "(8, 8)", "[8, 8]", "2.0", "0.5000", "nan"):
        assert bad not in cells, bad
    assert "None" not in text and "[8, 8]" not in text
    assert "<td>8,8</td>" in text and "<td>0.02</td>" in text and "<td>none</td>" not in text
    assert "batch_size=full batch" in text  # the same in every run, in words
    # The folder stays visible next to the name made of options.
    name = (
        "dataset=xor, hidden=2, activation=sigmoid, loss=mse, init=normal, optimizer=sgd, lr=0.5, "
        "epochs=1500"
    )
    assert f"<td>{name}</td><td>lr05</td>" in text
    assert "<td>—</td>" in text  # --classes does nothing outside the spiral


def test_the_boundaries_section_shows_only_boundaries(runs, compared):
    histories, paths = _histories(runs / "lr2", runs / "spiral")
    labels = run_labels(histories, paths)
    boundaries = boundaries_figure(histories, labels)
    comparison = comparison_figure(histories, labels)
    for fig in (boundaries, comparison):
        fig.draw_without_rendering()
    names = [ax.get_ylabel() for ax in boundaries.axes]
    assert not any("loss" in name or "accuracy" in name for name in names)
    assert any("loss" in ax.get_ylabel() for ax in comparison.axes)
    out = compared  # the page of all four runs
    page = (out / "compare.html").read_text()
    section = page[page.index("<h2>Final decision boundaries</h2>") :]
    image = re.search(r'src="data:image/webp;base64,([^"]+)"', section)
    assert image is not None, "no image in the boundaries section"
    with Image.open(io.BytesIO(base64.b64decode(image.group(1)))) as shown:
        with Image.open(out / "compare.png") as png:
            assert shown.height < png.height


def test_diverged_and_three_feature_runs_compare(runs, tmp_path):
    diverged = tmp_path / "diverged"
    save_run(train(TrainConfig(activation="linear", loss="bce", lr=1e5, epochs=300)), diverged)
    csv = tmp_path / "three.csv"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    rows = [f"{a:.3f},{b:.3f},{c:.3f},{int(a * b + c > 0)}" for a, b, c in X]
    csv.write_text("x1,x2,x3,label\n" + "\n".join(rows) + "\n")
    three = tmp_path / "three"
    save_run(train(TrainConfig(data=str(csv), hidden=(4,), epochs=200, lr=1.0)), three)
    out = tmp_path / "cmp"
    paths = resolve_runs([str(runs / "lr2"), str(diverged), str(three)])
    assert main(["compare", *map(str, paths), "--out", str(out)]) == 0
    page = (out / "compare.html").read_text()
    assert "dataset=three.csv" in page and "diverged at epoch" in page and "not finite" in page
    assert "No decision boundary for" in page or "drawn on a flat slice" in page
    histories = [load_run(p) for p in paths]
    fig = comparison_figure(histories, run_labels(histories, paths))
    loss_axis = next(ax for ax in fig.axes if "loss" in ax.get_ylabel())
    assert loss_axis.get_ylim()[1] < 1e3  # the blow-up does not flatten the other curves


def test_two_regressions_compare_by_r2_and_a_classification_is_refused(runs, tmp_path, capsys):
    sine: dict[str, Any] = dict(dataset="sine", hidden=(8,), activation="tanh", lr=0.1, epochs=400)
    extras: tuple[tuple[str, dict[str, Any]], ...] = (
        ("plain", {}),
        ("l2", {"l2": 0.01, "lr_schedule": "cosine"}),
    )
    for name, extra in extras:
        save_run(train(TrainConfig(**sine, **extra)), tmp_path / "sines" / name)
    out = tmp_path / "cmp"
    assert main(["compare", str(tmp_path / "sines"), "--out", str(out)]) == 0
    page = (out / "compare.html").read_text()
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    histories = [load_run(tmp_path / "sines" / name) for name in ("l2", "plain")]
    assert "<h2>Loss and R²</h2>" in text and "<h2>Final predictions</h2>" in text
    assert "<th>training R²</th><th>RMSE</th>" in text and "accuracy" not in text
    for h in histories:  # each run's final R² and RMSE, as the table prints them
        assert f"<td>{h.summary.final_accuracy:.4g}</td><td>{h.rmse[-1]:.4g}</td>" in text
    assert "The loss of lr_schedule=cosine, l2=0.01 includes a penalty" in text  # one has one
    assert "<th>dropout</th>" not in text
    assert "dropout=" not in text and "features=" not in text  # quiet when no run sets them
    fig = comparison_figure(histories, run_labels(histories))
    score_axis = next(ax for ax in fig.axes if ax.get_ylabel() == "training R²")
    low, high = score_axis.get_ylim()
    assert -1.1 < low < 0 and 1 < high < 1.1  # R², not a percentage
    # The two runs fit the same targets: their fitted curves share one value axis.
    panels = [ax for ax in fig.axes if "\nepoch " in ax.get_title()]
    assert len(panels) == 2 and panels[0].get_ylim() == panels[1].get_ylim()
    y = histories[0].dataset.labels
    assert panels[0].get_ylim()[0] < y.min() and panels[0].get_ylim()[1] > y.max()
    # A regression with a classification: one sentence, exit 2, nothing written.
    mixed = tmp_path / "mixed"
    assert main(["compare", str(tmp_path / "sines" / "plain"), str(runs / "lr2"),
                 "--out", str(mixed)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "cannot compare regressions (plain) with classifications (lr2)" in err
    assert err.count("\n") == 1 and not mixed.exists()


def test_run_colours_mean_no_class_unit_or_sign_and_runs_past_six_are_dotted(compared):
    from backprop_lab.plots.compare_figure import RUN_COLOURS
    from backprop_lab.plots.style import (
        ACCURACY_COLOUR,
        CLASS_COLOURS,
        LOSS_COLOUR,
        NEGATIVE_WEIGHT,
        POSITIVE_WEIGHT,
        UNIT_COLOURS,
    )

    taken = {c.lower() for c in (*CLASS_COLOURS, *UNIT_COLOURS, POSITIVE_WEIGHT, NEGATIVE_WEIGHT,
                                 LOSS_COLOUR, ACCURACY_COLOUR)}  # fmt: skip
    assert not taken & {c.lower() for c in RUN_COLOURS}
    assert len(set(RUN_COLOURS)) == len(RUN_COLOURS) == 6
    histories = [train(TrainConfig(epochs=20, seed=seed)) for seed in range(7)]
    fig = comparison_figure(histories, run_labels(histories))
    loss_axis = next(ax for ax in fig.axes if ax.get_yscale() == "log")
    lines = loss_axis.get_lines()
    assert [line.get_color() for line in lines] == [*RUN_COLOURS, RUN_COLOURS[0]]
    assert [line.get_linestyle() for line in lines] == ["-"] * 6 + [":"]  # the 7th: dotted
    key = next(legend for ax in fig.axes if (legend := ax.get_legend()) and "seed=6" in
               [t.get_text() for t in legend.get_texts()])  # fmt: skip
    assert key.legend_handles[6].get_linestyle() == ":"  # type: ignore[union-attr]
    page = (compared / "compare.html").read_text()
    for colour in RUN_COLOURS[:4]:  # the page's interactive curves: the same colours
        assert f'"color":"{colour}"' in page

"""compare: several runs side by side, also of different datasets; clear errors otherwise."""

import shutil

import pytest
from PIL import Image

from backprop_lab import TrainConfig, save_run, train
from backprop_lab.cli import main


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
            hidden=(8,),
            loss="ce",
            optimizer="adam",
            lr=0.02,
            epochs=300,
        ),
    }
    for name, config in configs.items():
        save_run(train(config), parent / name)
    return parent


def test_compare_a_folder_of_runs(runs, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(runs), "--out", str(out)]) == 0
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


def test_compare_page_in_a_browser(runs, tmp_path, watch):
    out = tmp_path / "cmp"
    assert main(["compare", str(runs), "--out", str(out)]) == 0
    w = watch()
    page = w.open(out / "compare.html")
    image = page.locator("figure img")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.is_visible() and page.locator("#loss-chart .main-svg").first.is_visible()
    assert w.outside == [] and w.errors == []

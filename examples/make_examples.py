"""Write the example data files of this folder (the README's ``--data`` examples), the same
bytes every time:

    python examples/make_examples.py

- two_classes.csv: 160 points in 2-D, two half-moons that interlock, with noise (columns x1,
  x2, label 0 or 1): a curved boundary a 2-6-1 network learns.
- three_classes.csv: 180 points in 2-D, three clouds around the corners of a triangle that
  overlap a little (label 0, 1 or 2): softmax and cross-entropy.
- regression.csv: 120 points of one input, y = sin(2 x) + x / 2 with noise (columns x1, y):
  train it with ``--task regression``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def two_classes(rng: np.random.Generator, n: int = 160) -> np.ndarray:
    angle = rng.uniform(0, np.pi, n)
    label = np.arange(n) % 2
    x1 = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
    x2 = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
    points = np.column_stack([x1, x2]) + rng.normal(0, 0.12, (n, 2))
    return np.column_stack([points, label])


def three_classes(rng: np.random.Generator, n: int = 180) -> np.ndarray:
    label = np.arange(n) % 3
    corners = np.array([[0.0, 1.2], [-1.0, -0.6], [1.0, -0.6]])
    points = corners[label] + rng.normal(0, 0.45, (n, 2))
    return np.column_stack([points, label])


def regression(rng: np.random.Generator, n: int = 120) -> np.ndarray:
    x = np.sort(rng.uniform(-2.5, 2.5, n))
    y = np.sin(2 * x) + x / 2 + rng.normal(0, 0.1, n)
    return np.column_stack([x, y])


def write(name: str, header: str, table: np.ndarray, label_column: bool) -> None:
    lines = [header]
    for row in table:
        values = [f"{v:.4f}" for v in (row[:-1] if label_column else row)]
        if label_column:
            values.append(str(int(row[-1])))
        lines.append(",".join(values))
    (HERE / name).write_text("\n".join(lines) + "\n")


def main() -> None:
    rng = np.random.default_rng(2026)
    write("two_classes.csv", "x1,x2,label", two_classes(rng), True)
    write("three_classes.csv", "x1,x2,label", three_classes(rng), True)
    write("regression.csv", "x1,y", regression(rng), False)


if __name__ == "__main__":
    main()

"""Draw the README's picture: a trained ReLU net's exact regions and decision boundary.

    python docs/tour.py            # writes docs/images/tour.png and .pdf

Trains the classic relu [10]*4 net on sign(y - sin(pi x)) with the classic settings (seeded,
about a second), decomposes it exactly, and draws the regions next to its prediction surface.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

import regions  # noqa: E402
from analysis.figures import style  # noqa: E402
from analysis.figures.regions import draw_decision_boundary, draw_region_boundaries, draw_regions  # noqa: E402
from analysis.figures.surfaces import draw_probability, draw_true_boundary  # noqa: E402
from analysis.lab.data import get_boundary  # noqa: E402
from analysis.lab.models import MLPConfig  # noqa: E402
from analysis.lab.sgd import TrainConfig  # noqa: E402
from analysis.lab.surfaces import probability_grid  # noqa: E402
from analysis.lab.train import train  # noqa: E402

OUT = Path(__file__).parent / "images" / "tour"


def main() -> None:
    config = TrainConfig(dataset="sine", model=MLPConfig(hidden=(10, 10, 10, 10)))
    result = train(config, progress=False)
    part = regions.decompose(result.model)
    boundary = get_boundary("sine")
    box = (-2.0, 2.0, -2.0, 2.0)
    with style.style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 4.0), constrained_layout=True)
        draw_regions(left, part)
        draw_decision_boundary(left, part)
        draw_true_boundary(left, boundary, box)
        left.set_title(
            f"{len(part)} exact linear regions\n"
            f"(first layers draw {', '.join(map(str, part.counts_by_depth()[1:-1]))})"
        )
        image = draw_probability(right, probability_grid(result.model, box, 300))
        draw_region_boundaries(right, part)
        draw_decision_boundary(right, part)
        draw_true_boundary(right, boundary, box)
        right.set_title(f"P(class 1), test accuracy {result.history.test_acc[-1]:.1%}")
        for ax in (left, right):
            ax.set_xlim(box[0], box[1])
            ax.set_ylim(box[2], box[3])
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            ax.set_aspect("equal")
        fig.legend(
            handles=[
                Line2D([], [], color=style.DECISION_BOUNDARY_COLOR, lw=2.5),
                Line2D([], [], color=style.TRUE_BOUNDARY_COLOR, lw=2, ls="--"),
            ],
            labels=["exact decision boundary", "true boundary"],
            loc="outside lower center",
            ncols=2,
        )
        fig.colorbar(image, ax=right, label="P(class 1)", shrink=0.8)
        fig.suptitle("ReLU net [10, 10, 10, 10] trained on sign(y - sin(pi x))")
        style.save_figure(fig, OUT)


if __name__ == "__main__":
    main()

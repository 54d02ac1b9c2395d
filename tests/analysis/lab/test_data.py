"""Datasets: exact labels, geometry consistent with the sign functions, seeding and noise."""

import numpy as np
import pytest
import shapely

from analysis.lab.data import (
    BOUNDARY_NAMES,
    DATASET_NAMES,
    RING_RADIUS,
    get_boundary,
    make_dataset,
)

BOXES = [(-2.0, 2.0, -2.0, 2.0), (-1.0, 3.0, -0.5, 1.5)]
# Where a polygonal approximation may disagree with sign(f): |f| below this (at the default
# resolutions the observed worst case is ~1e-4).
BAND = 1e-3


def test_names() -> None:
    assert BOUNDARY_NAMES == ("line", "abs", "ellipse", "sine")
    assert set(BOUNDARY_NAMES) < set(DATASET_NAMES)
    assert set(DATASET_NAMES) - set(BOUNDARY_NAMES) == {"ring", "xor", "spirals", "moons"}


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("name", DATASET_NAMES)
def test_region_agrees_with_sign(name: str, box: tuple[float, float, float, float]) -> None:
    boundary = get_boundary(name)
    region = boundary.positive_region(box)
    assert region.is_valid and not region.is_empty
    xmin, xmax, ymin, ymax = box
    assert shapely.box(xmin, ymin, xmax, ymax).buffer(1e-9).contains(region)
    rng = np.random.default_rng(123)
    points = rng.uniform([xmin, ymin], [xmax, ymax], size=(2000, 2))
    f = boundary.f(points)
    inside = shapely.contains_xy(region, points[:, 0], points[:, 1])
    disagree = inside != (f > 0)
    if boundary.exact_region:
        assert not disagree.any()
    else:
        assert np.all(np.abs(f[disagree]) < BAND)
    # The area is the positive fraction of the box, up to sampling error (2000 points).
    fraction = (f > 0).mean()
    assert 0.0 < fraction < 1.0
    assert region.area / ((xmax - xmin) * (ymax - ymin)) == pytest.approx(fraction, abs=0.05)


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_resolution_matters_only_for_curved_boundaries(name: str) -> None:
    boundary = get_boundary(name)
    coarse, fine = boundary.positive_region(resolution=16), boundary.positive_region()
    difference = coarse.symmetric_difference(fine).area
    if boundary.exact_region:
        assert difference == 0.0
    else:
        assert difference > 1e-4


def test_exact_regions_are_the_known_polygons() -> None:
    assert (
        get_boundary("line").positive_region().equals(shapely.Polygon([(-2, -2), (2, 2), (-2, 2)]))
    )
    assert get_boundary("abs").positive_region().equals(shapely.Polygon([(0, 0), (2, 2), (-2, 2)]))
    assert get_boundary("xor").positive_region().area == pytest.approx(8.0)


def test_balanced_playground_classes() -> None:
    # ring: the disc holds half the default box; moons: point symmetry makes the split exact.
    assert np.pi * RING_RADIUS**2 == pytest.approx(8.0)
    assert get_boundary("ring").positive_region().area == pytest.approx(8.0, rel=1e-4)
    assert get_boundary("moons").positive_region().area == pytest.approx(8.0, rel=1e-3)
    assert get_boundary("spirals").positive_region().area == pytest.approx(8.0, rel=1e-2)


def test_ring_positive_class_is_enclosed_by_negatives() -> None:
    # Premise of "not separable at width <= 2": a bounded positive class away from the box edge.
    disc = get_boundary("ring").positive_region()
    assert shapely.box(-1.9, -1.9, 1.9, 1.9).contains(disc)


def test_sign_functions_and_formulas() -> None:
    p = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [1.0, 1.5]])
    assert get_boundary("line").labels(p).tolist() == [1, 0, 0, 1]
    assert get_boundary("abs").labels(p).tolist() == [1, 0, 0, 1]
    assert get_boundary("ellipse").labels(p).tolist() == [0, 1, 1, 0]
    assert get_boundary("sine").labels(p).tolist() == [1, 0, 0, 1]
    assert get_boundary("xor").labels(p).tolist() == [0, 0, 0, 1]
    assert get_boundary("ring").labels(p).tolist() == [1, 1, 1, 0]
    assert get_boundary("line").formula == "sign(y - x)"
    assert all(get_boundary(n).formula.startswith("sign(") for n in DATASET_NAMES)


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_dataset_shapes_dtypes_and_labels(name: str) -> None:
    ds = make_dataset(name, 300, 100, seed=1)
    assert ds.name == name and ds.boundary is get_boundary(name) and ds.noise == 0.0
    assert ds.X_train.shape == (300, 2) and ds.X_train.dtype == np.float32
    assert ds.y_train.shape == (300,) and ds.y_train.dtype == np.int64
    assert ds.X_test.shape == (100, 2) and ds.X_test.dtype == np.float32
    assert ds.y_test.shape == (100,) and ds.y_test.dtype == np.int64
    assert set(np.unique(ds.y_train)) == {0, 1}
    assert np.array_equal(ds.y_train, ds.boundary.labels(ds.X_train))
    assert np.array_equal(ds.y_test, ds.boundary.labels(ds.X_test))
    assert ds.X_train.min() >= -2.0 and ds.X_train.max() <= 2.0


def test_custom_box_is_respected() -> None:
    ds = make_dataset("line", 1000, 10, box=(0.0, 1.0, 5.0, 7.0))
    assert ds.box == (0.0, 1.0, 5.0, 7.0)
    assert ds.X_train[:, 0].min() >= 0.0 and ds.X_train[:, 0].max() <= 1.0
    assert ds.X_train[:, 1].min() >= 5.0 and ds.X_train[:, 1].max() <= 7.0
    assert ds.y_train.all()  # y > x everywhere in this box


def test_seeding() -> None:
    a, b = make_dataset("sine", 500, 50, seed=7), make_dataset("sine", 500, 50, seed=7)
    c = make_dataset("sine", 500, 50, seed=8)
    for field in ("X_train", "y_train", "X_test", "y_test"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X_train, c.X_train)
    assert not np.array_equal(a.X_test, c.X_test)


def test_noise_flips_requested_fraction_of_training_labels_only() -> None:
    clean = make_dataset("ellipse", 20_000, 2_000, seed=3)
    noisy = make_dataset("ellipse", 20_000, 2_000, noise=0.1, seed=3)
    assert np.array_equal(clean.X_train, noisy.X_train)
    flipped = noisy.y_train != noisy.boundary.labels(noisy.X_train)
    # Binomial(20000, 0.1): standard deviation of the fraction is 0.0021.
    assert flipped.mean() == pytest.approx(0.1, abs=0.01)
    assert np.array_equal(noisy.y_test, noisy.boundary.labels(noisy.X_test))
    assert noisy.noise == 0.1


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="valid names: line, abs, ellipse, sine, ring"):
        make_dataset("circle")
    with pytest.raises(ValueError, match="unknown dataset 'circle'"):
        get_boundary("circle")
    with pytest.raises(ValueError, match="xmin < xmax"):
        make_dataset("line", box=(1.0, -1.0, -1.0, 1.0))
    with pytest.raises(ValueError, match="ymin < ymax"):
        get_boundary("line").positive_region(box=(-1.0, 1.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="noise"):
        make_dataset("line", noise=1.5)

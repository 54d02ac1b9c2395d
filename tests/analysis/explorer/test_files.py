"""Models from files for ``python -m analysis explore``, and the command itself."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

import regions
from analysis.explorer.files import ModelFileError, load_model
from analysis.lab.cache import entry_paths
from analysis.lab.models import MLP, MLPConfig
from analysis.lab.sgd import TrainConfig
from analysis.lab.train import train
from analysis.run.cli import main

TINY_BOX = (-2.0, 2.0, -2.0, 2.0)  # the line data set's box
TINY = TrainConfig("line", n_train=200, n_test=100, epochs=2, model=MLPConfig((4, 4)))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nn.Module]:
    cache = tmp_path_factory.mktemp("cache")
    result = train(TINY, cache_dir=cache, progress=False)
    return entry_paths(cache, TINY.key())[0], result.model


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return len(sa) == len(sb) and all(
        torch.equal(x, y) for x, y in zip(sa.values(), sb.values(), strict=True)
    )


def test_a_lab_checkpoint_loads_with_its_dataset(checkpoint: tuple[Path, nn.Module]) -> None:
    path, model = checkpoint
    loaded = load_model(path)
    assert loaded.kind == "checkpoint" and same_weights(loaded.model, model)
    assert loaded.dataset is not None and loaded.dataset.name == "line"
    assert not loaded.model.training


def test_a_corrupt_checkpoint_is_refused(
    checkpoint: tuple[Path, nn.Module], tmp_path: Path
) -> None:
    path, _ = checkpoint
    copy = tmp_path / path.name
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF  # inside the zip's tensor data or directory
    copy.write_bytes(bytes(data))
    json_path = entry_paths(path.parent, path.stem)[1]
    (tmp_path / json_path.name).write_text(json_path.read_text())
    with pytest.raises(ModelFileError, match=f"{copy.name}: not a usable lab checkpoint"):
        load_model(copy)


@pytest.mark.parametrize("kind", ["MLP", "Sequential"])
def test_a_state_dict_loads_with_its_widths(kind: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    if kind == "MLP":
        model: nn.Module = MLP((5, 3), n_outputs=2)
    else:
        layers = [nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 1)]
        model = nn.Sequential(*layers)
    path = tmp_path / "weights.pt"
    torch.save(model.state_dict(), path)
    loaded = load_model(path, hidden=(5, 3))
    assert loaded.kind == "state_dict" and type(loaded.model).__name__ == kind
    assert same_weights(loaded.model, model)
    x = torch.rand(7, 2)
    assert torch.equal(loaded.model(x), model.eval()(x))
    wrong = "--hidden 5,4 does not match the file's hidden widths 5,3"
    with pytest.raises(ModelFileError, match=wrong):
        load_model(path, hidden=(5, 4))
    with pytest.raises(ModelFileError, match="needs the hidden widths"):
        load_model(path)
    with pytest.raises(ModelFileError, match="neither those of the lab's MLP"):
        load_model(path, hidden=(5,))


class Payload:
    """Unpickling this would run code of our choosing: weights_only refuses it."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("unpickled!",))


def test_untrusted_and_broken_files_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = tmp_path / "evil.pt"
    torch.save({"0.weight": Payload()}, evil)
    with pytest.raises(ModelFileError, match="evil.pt: not a weights-only torch file"):
        load_model(evil, hidden=(3,))
    assert "unpickled!" not in capsys.readouterr().out
    plain = tmp_path / "plain.pt"
    plain.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(ModelFileError, match="plain.pt: not a weights-only torch file"):
        load_model(plain, hidden=(3,))
    notdict = tmp_path / "list.pt"
    torch.save([torch.zeros(2)], notdict)
    with pytest.raises(ModelFileError, match="does not hold a state dict"):
        load_model(notdict, hidden=(3,))
    with pytest.raises(ModelFileError, match="missing.pt: no such file"):
        load_model(tmp_path / "missing.pt")
    broken = tmp_path / "broken.pt2"
    broken.write_bytes(b"PK not really")
    with pytest.raises(ModelFileError, match="broken.pt2: not a torch.export program"):
        load_model(broken)


def test_an_exported_program_never_unpickles_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """torch.export.load retries a failed safe load with weights_only=False: not here."""
    evil = tmp_path / "evil.pt"
    torch.save({"w": Payload()}, evil)

    def unsafe_load(path: Path) -> object:  # what torch.export.load's fallback does
        return torch.load(evil, weights_only=False)

    monkeypatch.setattr(torch.export, "load", unsafe_load)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # even when asked for it
    program = tmp_path / "net.pt2"
    program.write_bytes(b"PK")
    with pytest.raises(ModelFileError, match="net.pt2: not a torch.export program"):
        load_model(program)
    assert "unpickled!" not in capsys.readouterr().out
    assert os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] == "1"  # restored afterwards
    assert "TORCH_FORCE_WEIGHTS_ONLY_LOAD" not in os.environ


def test_the_command_writes_a_checkpoints_page(
    checkpoint: tuple[Path, nn.Module],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, model = checkpoint
    out = tmp_path / "page.html"
    kept = []
    monkeypatch.setattr(regions, "keep_freed_memory", lambda: kept.append(True))
    assert main(["explore", str(path), "--out", str(out), "--title", "tiny"]) == 0
    assert kept == [True]  # the command's process keeps freed memory for its decompositions
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    text = out.read_text(encoding="utf-8")
    count = len(regions.decompose(model, TINY_BOX))
    assert f'"count":{count},' in text and "<title>tiny</title>" in text
    assert '"data":true' in text  # the checkpoint's test points come along


def test_the_command_writes_a_state_dicts_page(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1))
    path = tmp_path / "net.pt"
    torch.save(model.state_dict(), path)
    assert main(["explore", str(path), "--hidden", "6", "--box", "-1", "1", "-1", "1"]) == 0
    text = path.with_suffix(".html").read_text(encoding="utf-8")
    assert f'"count":{len(regions.decompose(model, (-1, 1, -1, 1)))},' in text
    assert '"bounds":[-1.0,1.0,-1.0,1.0]' in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hidden", "6,x"], "not comma-separated integers"),
        (["--hidden", "0"], "widths must be at least 1"),
        (["--hidden", "7"], "does not match the file's hidden widths 6"),
        (["--hidden", "6", "--box", "1", "-1", "0", "1"], "xmin"),
        (["--hidden", "6", "--out", "{tmp}/net.pt/page.html"], "is not a directory"),
        (["--hidden", "6", "--out", "{tmp}/net.pt"], "the model file itself"),
        (["--hidden", "6", "--out", "{tmp}"], "it is a directory"),
    ],
)
def test_the_command_reports_bad_arguments(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.manual_seed(1)
    path = tmp_path / "net.pt"
    torch.save(nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1)).state_dict(), path)
    with pytest.raises(SystemExit) as exit:
        main(["explore", str(path), *(a.format(tmp=tmp_path) for a in args)])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m analysis explore" in err and message in err
    assert not list(tmp_path.glob("*.html"))


def test_the_command_keeps_a_model_file_named_like_its_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A state dict saved as net.html: the default page name is the file itself."""
    path = tmp_path / "net.html"
    torch.save(nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1)).state_dict(), path)
    before = path.read_bytes()
    with pytest.raises(SystemExit) as exit:
        main(["explore", str(path), "--hidden", "6"])
    assert exit.value.code == 2 and "the model file itself" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_tensors_that_do_not_fit_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bias.pt"
    state = {"0.weight": torch.zeros(4, 2), "0.bias": torch.zeros(3)}
    torch.save({**state, "2.weight": torch.zeros(1, 4), "2.bias": torch.zeros(1)}, path)
    fits = r"(?s)bias.pt: the tensors do not fit an MLP: .*0.bias"
    with pytest.raises(ModelFileError, match=fits):
        load_model(path, hidden=[4])


def test_a_model_the_core_refuses_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wide.pt"
    torch.save(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).state_dict(), path)
    with pytest.raises(SystemExit):
        main(["explore", str(path), "--hidden", "4"])
    assert f"{path}: the model has 3 inputs" in capsys.readouterr().err

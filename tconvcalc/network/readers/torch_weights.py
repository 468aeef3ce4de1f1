"""Trained weights for a PyTorch module, read safely: ``torch.load(weights_only=True)`` (tensors and plain
containers only, never code) or safetensors, and loaded strictly.

A file holds a state dict (names to tensors) or a checkpoint dict whose ``"state_dict"`` or ``"model"`` entry is
one (what training loops and Lightning save).  :func:`load_weights` loads it with ``strict=True``; a missing or
unexpected name, or a tensor of another shape, is one sentence naming a few of them and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import NotInstalledError, ParameterError
from .torch import _first_line, _import_torch

#: The largest weights file read (4 GiB): the tensors are held in memory, and a file this large is a whole
#: training checkpoint or another model, not the weights of one network whose layers are being rewritten.
MAX_WEIGHTS_BYTES = 4 << 30
SAFETENSORS_INSTALL = "python -m pip install safetensors"
#: Checkpoint entries that hold the state dict, in the order looked at.
CHECKPOINT_KEYS = ("state_dict", "model")
#: Names shown when a sentence lists keys.
SHOWN = 3


def read_state_dict(path) -> dict:
    """The state dict in ``path`` (``.safetensors`` by its suffix, else a ``torch.save`` file read with
    ``weights_only=True`` onto the CPU): names to tensors."""
    torch = _import_torch()
    path = Path(path)
    if not path.is_file():
        why = "is a directory" if path.is_dir() else "does not exist"
        raise ParameterError(f"weights file {path} {why}, the weights are a .pt/.pth file (torch.save of the state "
                             f"dict) or a .safetensors file; check the path")
    size = path.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise ParameterError(f"weights file {path} has {size:,} bytes, more than the {MAX_WEIGHTS_BYTES:,} read "
                             f"(the tensors are held in memory); save only this network's state dict "
                             f"(torch.save(model.state_dict(), ...))")
    if path.suffix.lower() == ".safetensors":
        loaded = _read_safetensors(path)
    else:
        try:
            loaded = torch.load(path, weights_only=True, map_location="cpu")
        except Exception as error:  # pickle.UnpicklingError for code, RuntimeError/EOFError for damage, ...
            raise _unreadable(path, error) from None
    return _state_dict(torch, loaded, path)


def _unreadable(path: Path, error: Exception) -> ParameterError:
    """The sentence for a file ``torch.load(weights_only=True)`` refused: code in it (a global it would import),
    or not a file it reads at all (text, a truncated or damaged file, a pickle of a form it does not read)."""
    text = str(error)
    code = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if code:
        return ParameterError(f"weights file {path} holds Python objects besides tensors ({code.group(1)}), and "
                              f"tconvcalc reads weights with torch.load(weights_only=True), which never unpickles "
                              f"code; save the state dict alone (torch.save(model.state_dict(), ...)) or as "
                              f".safetensors")
    reason = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
    return ParameterError(f"weights file {path} is not a file torch.load reads with weights_only=True "
                          f"({reason.group(1).strip() if reason else type(error).__name__ + ': ' + _first_line(error)}"
                          f"); give a file written by torch.save, or a .safetensors file")


def _read_safetensors(path: Path) -> dict:
    try:
        from safetensors.torch import load_file
    except ImportError:
        raise NotInstalledError("safetensors", f"reading {path}", SAFETENSORS_INSTALL) from None
    try:
        return load_file(str(path), device="cpu")
    except Exception as error:  # safetensors_rust.SafetensorError for a damaged header or data
        raise ParameterError(f"weights file {path} is not a safetensors file ({_first_line(error)}); give a file "
                             f"written by safetensors.torch.save_file") from None


def _state_dict(torch, loaded, path: Path) -> dict:
    """The names-to-tensors mapping in what ``torch.load`` returned: itself, or a checkpoint's entry."""
    if isinstance(loaded, dict):
        for key in CHECKPOINT_KEYS:
            entry = loaded.get(key)
            if isinstance(entry, dict) and entry and all(isinstance(v, torch.Tensor) for v in entry.values()):
                return dict(entry)
        others = [key for key, value in loaded.items() if not isinstance(value, torch.Tensor)]
        if loaded and not others:
            return dict(loaded)
        what = (f"a dict whose entries {', '.join(map(repr, others[:SHOWN]))} are not tensors" if others
                else "an empty dict")
    else:
        what = f"a {type(loaded).__name__}"
    raise ParameterError(f"weights file {path} holds {what}, and the weights are a state dict (names to tensors) "
                         f"or a checkpoint whose 'state_dict' or 'model' entry is one; save model.state_dict()")


def load_weights(module, path, source: str | None = None, state: dict | None = None):
    """``module`` with the weights in ``path`` loaded strictly (every name present, none unknown, every shape the
    module's); returns the module.  ``state`` is the file's state dict when the caller has read it already."""
    state = read_state_dict(path) if state is None else state
    own = module.state_dict()
    where = f"weights file {path} does not fit {source or type(module).__name__}"
    missing = [name for name in own if name not in state]
    unexpected = [name for name in state if name not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({_names(missing)})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected ({_names(unexpected)})")
        raise ParameterError(f"{where}: its names differ from the module's, {' and '.join(parts)}; "
                             f"{_hint(missing, unexpected)}")
    shapes = [f"{name} {_shape(state[name])} against {_shape(own[name])}" for name in own
              if tuple(state[name].shape) != tuple(own[name].shape)]
    if shapes:
        raise ParameterError(f"{where}: {len(shapes)} tensor(s) have another shape than the module's "
                             f"({'; '.join(shapes[:SHOWN])}); build the module with the keyword arguments it "
                             f"was trained with")
    try:
        module.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as error:  # a dtype the parameter cannot take, most often
        raise ParameterError(f"{where}: load_state_dict refused it ({_first_line(error)}); save the weights "
                             f"from this module's class") from None
    return module


def _names(names: list) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (", …" if len(names) > SHOWN else "")


def _shape(tensor) -> str:
    return "×".join(map(str, tensor.shape)) or "scalar"


def _hint(missing: list, unexpected: list) -> str:
    """The fix most likely meant: a prefix that the saved names carry (or lack) against the module's."""
    for prefix in ("module.", "model."):
        if unexpected and all(name.startswith(prefix) for name in unexpected) and \
                {name[len(prefix):] for name in unexpected} >= set(missing):
            return f"the saved names carry a {prefix!r} prefix (saved from a wrapper); strip it before saving"
    return "save the weights of this module's class built with the same keyword arguments"

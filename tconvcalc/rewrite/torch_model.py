"""A whole PyTorch model with its transposed convolutions rewritten: the new model, its check against the original
in PyTorch, and the Python code a deployer runs to rebuild it.

The code is self-contained: the classes of :mod:`.torch_modules` as they are (nothing but torch) and a function
``rewrite(model)`` that puts one of them, with its sizes as constructor arguments, where each transposed layer
was.  The weights travel in the state dict of the new model, whose names are the ones the code gives.
"""

from __future__ import annotations

import ast
import copy
import inspect
import keyword
import re
import textwrap

from ..model.arithmetic import conv_transpose_cost
from ..errors import ParameterError
from ..model.spec import Axis, Layer
from . import torch_modules
from .checking import TOLERANCE, Check, relative_error
from .onnx import Rewritten
from .pytorch import (TRANSPOSED, subpixel_arguments, subpixel_module, torch, zero_insertion_arguments,
                      zero_insertion_module)

#: The forms a PyTorch model is rewritten in: (class, its constructor arguments, the module with weights).
FORMS = {"subpixel": ("SubpixelConvTranspose", subpixel_arguments, subpixel_module),
         "zero-insertion": ("ZeroInsertionConvTranspose", zero_insertion_arguments, zero_insertion_module)}
#: Constructor arguments left out of the code when they hold their default.
DEFAULTS = {"groups": 1, "bias": True}
#: The printed code's line width.
WIDTH = 100
#: The batch the check draws.
CHECK_BATCH = 2

def transposed_layers(model) -> dict:
    """Every ``nn.ConvTranspose{1,2,3}d`` of ``model`` by the module paths it is reached at (a module registered
    twice keeps one entry with both paths), in the model's order: ``{id: (paths, module)}``."""
    found: dict = {}
    for path, module in model.named_modules(remove_duplicate=False):
        if isinstance(module, TRANSPOSED):
            found.setdefault(id(module), ([], module))[0].append(path)
    return {key: (tuple(paths), module) for key, (paths, module) in found.items()}


def rewrite_modules(model, form: str, only=None) -> tuple:
    """``(new model, [(paths, original layer, constructor arguments, new layer)])``: a copy of ``model`` with every
    transposed layer (or those ``only`` names by a module path) in ``form``; ``model`` is not changed."""
    if form not in FORMS:
        raise ParameterError(f"form {form!r} has no PyTorch form, a PyTorch layer is rewritten as "
                             f"{' or '.join(FORMS)} (pads is an ONNX form: a PyTorch layer already states its "
                             f"padding); choose one of those")
    _, arguments, build = FORMS[form]
    layers = transposed_layers(model)
    if only:
        known = {path for paths, _ in layers.values() for path in paths}
        unknown = [name for name in only if name not in known]
        if unknown:
            listed = ", ".join(sorted(known)[:8]) or "none"
            raise ParameterError(f"the layers to rewrite name {', '.join(map(repr, unknown))}, which is no transposed "
                                 f"convolution of the model (its nn.ConvTranspose layers: {listed}); name those "
                                 f"by their module paths")
        layers = {key: (paths, module) for key, (paths, module) in layers.items() if set(paths) & set(only)}
    entries = [(paths, module, arguments(module), build(module)) for paths, module in layers.values()]
    if any("" in paths for paths, *_ in entries):  # the model is itself a transposed layer
        return entries[0][3], entries
    new = copy.deepcopy(model)
    for paths, _, _, layer in entries:
        for path in paths:
            parent, _, name = path.rpartition(".")
            setattr(new.get_submodule(parent), name, layer)  # nn.Module registers it as the child of that name
    return new, entries


# --- the check --------------------------------------------------------------------------------------------------

def _tensors(value) -> list:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


def check_modules(original, rewritten, channels: int, sizes, entries, seed: int = 0) -> tuple:
    """``(Check, {layer id: (input size, output size)})``: both models in eval mode on the same random input
    ``(2, channels, *sizes)`` in float64 (the rewrite rearranges the weights exactly, so the float type measures
    only the summation order), the sizes each transposed layer saw on its first call."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(CHECK_BATCH, channels, *sizes, generator=generator, dtype=torch.float64)
    first = copy.deepcopy(original).double().eval()
    second = copy.deepcopy(rewritten).double().eval()
    seen: dict = {}
    handles = []
    by_path = dict(first.named_modules(remove_duplicate=False))
    for paths, layer, _, _ in entries:
        def hook(module, inputs, output, key=id(layer)):
            seen.setdefault(key, (tuple(inputs[0].shape[2:]), tuple(output.shape[2:])))
        handles.append(by_path[paths[0]].register_forward_hook(hook))
    shape = "×".join(map(str, x.shape))
    try:
        with torch.no_grad():
            expected = _tensors(first(x))
    except Exception as error:  # user code
        raise ParameterError(f"the original model raised {type(error).__name__} on a random {shape} input "
                             f"({str(error).strip().splitlines()[0][:200] if str(error).strip() else ''}), and the "
                             f"rewrite is checked against it; give an input size the model accepts, or skip the check"
                             ) from None
    finally:
        for handle in handles:
            handle.remove()
    with torch.no_grad():
        got = _tensors(second(x))
    difference = relative_error([t.numpy() for t in got], [t.numpy() for t in expected]) \
        if len(got) == len(expected) else float("inf")
    tolerance = TOLERANCE["float64"]
    return Check("pytorch", {"input": list(x.shape)}, difference, tolerance, difference <= tolerance, None), seen


def layer_reports(entries, form: str, seen: dict) -> list:
    """A :class:`~.onnx.Rewritten` per layer: its module path, what it became, its sizes and costs at the check's
    input (None without a check)."""
    reports = []
    for paths, layer, arguments, _ in entries:
        ops = _ops(form, arguments)
        sizes = seen.get(id(layer))
        if sizes is None:
            reports.append(Rewritten(paths[0], form, ops, None, None, True, None, None))
            continue
        axes = Layer(tuple(Axis.from_pytorch(i, k, s, p, op, d) for i, k, s, p, op, d in zip(
            sizes[0], layer.kernel_size, layer.stride, layer.padding, layer.output_padding, layer.dilation)))
        cost = conv_transpose_cost(axes, layer.in_channels, layer.out_channels, layer.groups)
        form_macs = cost.subpixel if form == "subpixel" else cost.zero_insertion
        reports.append(Rewritten(paths[0], form, ops, sizes[0], sizes[1], True, cost.macs, form_macs))
    return reports


def _ops(form: str, arguments: dict) -> tuple:
    """The operations the layer became, as the module's forward runs them (those that do nothing left out)."""
    conv = f"Conv{len(arguments['strides'])}d"
    pad = ("F.pad",) if any(arguments["pad"]) else ()
    if form == "zero-insertion":
        return (("zeros interleaved",) if any(s > 1 for s in arguments["strides"]) else ()) + pad + (conv,)
    strides = arguments["strides"]
    square = len(strides) == 2 and strides[0] == strides[1] > 1
    shuffle = ("PixelShuffle",) if square else ("reshape + permute",) if any(s > 1 for s in strides) else ()
    crop = ("crop",) if any(arguments["crop_start"]) or any(arguments["crop_end"]) else ()
    return pad + (conv,) + shuffle + crop


# --- the code ---------------------------------------------------------------------------------------------------

def module_code(model, entries, form: str, source: str, factory_call: str, state_file: str | None) -> str:
    """Python code, needing only torch, that defines the form's module and ``rewrite(model)``, which puts one
    where each transposed layer of the original model was (load the rewritten state dict after it)."""
    name = FORMS[form][0]
    header, classes = _module_source(name)
    load = (f'model.load_state_dict(torch.load("{state_file}", weights_only=True))' if state_file and
            not state_file.lower().endswith(".safetensors") else
            f'model.load_state_dict(safetensors.torch.load_file("{state_file}"))' if state_file else
            "model.load_state_dict(state)  # the rewritten state dict tconvcalc rewrite writes")
    intro = textwrap.wrap(f"{source} with its transposed layers as {name} (the {form} form of tconvcalc rewrite): the "
                          f"same function, needing only torch. Build the original model as before, then:",
                          WIDTH - 2)
    lines = [*(f"# {line}" for line in intro), f"#   model = rewrite({factory_call})", f"#   {load}",
             header, "", "", classes, "", "",
             "def rewrite(model):",
             f'    """The model with its {len(entries)} transposed layer{"s" if len(entries) != 1 else ""} as '
             f'{name}',
             '    (their weights are in the rewritten state dict)."""']
    for paths, _, arguments, _ in entries:
        call = (name, _arguments(arguments))
        if "" in paths:
            return "\n".join(lines + [_wrapped("    return ", call)]) + "\n"
        lines.extend(_assignment(model, path, call) for path in paths)
    lines.append("    return model")
    return "\n".join(lines) + "\n"


def _wrapped(start: str, call: tuple[str, list[str]], end: str = "") -> str:
    """``start`` + the call ``(name, [argument, ...])`` + ``end``, its arguments wrapped at :data:`WIDTH` and
    aligned after the parenthesis."""
    name, pieces = call
    indent = " " * (len(start) + len(name) + 1)
    lines, line = [], start + name + "("
    for n, piece in enumerate(pieces):
        piece += ", " if n < len(pieces) - 1 else ")" + end
        if len(line) + len(piece.rstrip()) > WIDTH and line.strip() != (start + name + "(").strip():
            lines.append(line.rstrip())
            line = indent
        line += piece
    return "\n".join(lines + [line])


def _module_source(name: str) -> tuple[str, str]:
    """The imports the class ``name`` of :mod:`.torch_modules` uses, as the file writes them, and its source."""
    text = inspect.getsource(torch_modules)
    tree = ast.parse(text)
    body = next(ast.get_source_segment(text, node) for node in tree.body
                if isinstance(node, ast.ClassDef) and node.name == name)
    assert body is not None  # a node of the text it was parsed from has its source
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    unused = {node.lineno for node in imports
              if not any(re.search(rf"\b{re.escape(alias.asname or alias.name.split('.')[0])}\b", body)
                         for alias in node.names)}
    lines = text.splitlines()[imports[0].lineno - 1:imports[-1].end_lineno]
    kept = [line for number, line in enumerate(lines, imports[0].lineno) if number not in unused]
    return "\n".join(kept).strip("\n"), body


def _arguments(arguments: dict) -> list[str]:
    """Channels positionally, then every argument that is not its default, by name."""
    rest = [f"{key}={value!r}" for key, value in arguments.items()
            if key not in ("in_channels", "out_channels") and DEFAULTS.get(key, object()) != value
            and not (key == "dilation" and all(d == 1 for d in value))]
    return [str(arguments["in_channels"]), str(arguments["out_channels"]), *rest]


def _assignment(model, path: str, call: tuple[str, list[str]]) -> str:
    """``model.up[1] = call`` for the module path ``up.1``: attributes where the names are Python names, indices
    where ``nn.Sequential`` or ``nn.ModuleList`` hold the module, else ``setattr`` on ``get_submodule``'s parent."""
    parts = path.split(".")
    target = "model"
    for n, part in enumerate(parts):
        parent = model.get_submodule(".".join(parts[:n]))
        if part.isdigit() and isinstance(parent, (torch.nn.Sequential, torch.nn.ModuleList)):
            target += f"[{part}]"
        elif part.isidentifier() and not keyword.iskeyword(part):
            target += f".{part}"
        else:
            parent_path, _, last = path.rpartition(".")
            return _wrapped(f"    setattr(model.get_submodule({parent_path!r}), {last!r}, ", call, ")")
    return _wrapped(f"    {target} = ", call)

"""PyTorch modules as networks, read structurally with ``torch.fx`` (no forward pass at any size).

``load_torch("path/to/model.py:Factory")`` or ``load_torch("package.module:Factory", kwargs)`` imports
the code, calls the factory (a class or a function) and reads the module it returns;
:func:`from_torch` reads a module already built.  ``torch.fx.symbolic_trace`` records the forward's
operations; each leaf module and function becomes a layer with the module's own parameters:
``Conv{1,2,3}d`` (integer, ``"same"`` or ``"valid"`` padding; ``zeros`` or ``replicate`` mode),
``ConvTranspose{1,2,3}d``, max/average/LP pooling (``ceil_mode``), adaptive pooling, ``Upsample`` and
``F.interpolate`` with an integer ``scale_factor`` (or a constant ``size``), ``PixelShuffle``/
``PixelUnshuffle``, ``MaxUnpool``, constant and replicate pads, slices that crop both ends,
``torch.cat`` along the channels, elementwise ``+ - * /`` between activations, and pass-through for
activations, norms and dropout.  Layers are named by the module's qualified name (``enc1.conv1``; a
module called twice gets ``#2``), functions by fx's node name (``cat``, ``add_1``).
"""

from __future__ import annotations

import importlib
import importlib.util
import operator
import re
import sys
from pathlib import Path

from ...errors import TORCH_INSTALL, NotInstalledError, ParameterError
from .base import FOLLOWED, Builder, Handlers, Reader, Value, broadcast_ok, merge_elementwise, per_axis
from ..graph import INPUT, Network

INSTALL = TORCH_INSTALL

# Positional parameter names of the functional forms (several are C builtins without a signature).
SIGNATURES = {
    "max_pool": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "avg_pool": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "lp_pool": ("input", "norm_type", "kernel_size", "stride", "ceil_mode"),
    "adaptive": ("input", "output_size", "return_indices"),
    "interpolate": ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor",
                    "antialias"),
    "pad": ("input", "pad", "mode", "value"),
    "cat": ("tensors", "dim"),
    "pixel_shuffle": ("input", "upscale_factor"),
    "pixel_unshuffle": ("input", "downscale_factor"),
    "max_unpool": ("input", "indices", "kernel_size", "stride", "padding", "output_size"),
    "chunk": ("input", "chunks", "dim"),
    "split": ("input", "split_size_or_sections", "dim"),
    "reduce": ("input", "dim", "keepdim"),
    "binary": ("input", "other"),
    "where": ("condition", "input", "other"),
}# The handler of each torch.nn module class (or a base of it), by class name.
handles = Handlers("torch")
PASS_MODULES = {
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid",
    "Tanh", "Hardtanh", "Hardswish", "Hardsigmoid", "Hardshrink", "Softshrink", "Softplus", "Softsign",
    "Tanhshrink", "Threshold", "LogSigmoid", "Softmax", "Softmax2d", "LogSoftmax", "Softmin", "Identity",
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "BatchNorm1d",
    "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
    "GroupNorm", "LocalResponseNorm", "CrossMapLRN2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
}
PASS_FUNCTIONS = {
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_", "celu", "celu_",
    "gelu", "silu", "mish", "hardswish", "hardsigmoid", "hardtanh", "hardtanh_", "softplus", "softsign",
    "tanhshrink", "sigmoid", "sigmoid_", "tanh", "tanh_", "logsigmoid", "rrelu", "threshold", "hardshrink",
    "softshrink", "prelu", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
    "feature_alpha_dropout", "batch_norm", "instance_norm", "group_norm", "local_response_norm", "normalize",
    "softmax", "log_softmax", "softmin", "clamp", "clamp_", "clip", "abs", "exp", "neg", "sqrt", "rsqrt", "sin",
    "cos", "square", "erf", "log", "log1p", "expm1", "reciprocal", "round", "floor", "ceil", "sign", "nan_to_num",
    "contiguous", "float", "half", "double", "bfloat16", "to", "type", "type_as", "clone", "detach",
    "requires_grad_", "abs_", "exp_", "neg_", "clamp_min", "clamp_max", "pos",
}
BINARY = {"add", "sub", "mul", "truediv", "div", "floordiv", "pow", "maximum", "minimum", "fmax", "fmin",
          "add_", "sub_", "mul_", "div_", "iadd", "isub", "imul", "itruediv", "rsub", "true_divide", "multiply",
          "subtract", "where", "atan2", "hypot", "remainder", "fmod"}
REDUCE = {"mean", "sum", "amax", "amin", "prod", "std", "var", "logsumexp", "norm"}
REPEATS = {"repeat", "expand", "tile"}
RESHAPE = {"view", "reshape", "flatten", "unflatten", "permute", "transpose", "squeeze", "unsqueeze", "expand",
           "expand_as", "repeat", "movedim", "swapaxes", "t", "narrow", "unfold", "roll", "flip", "stack"}


def _import_torch():
    try:
        import torch
        import torch.fx  # noqa: F401
    except ImportError:
        raise NotInstalledError("torch", "reading PyTorch modules", INSTALL) from None
    return torch


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__).strip()


def load_torch(spec: str, kwargs: dict | None = None) -> Network:
    """The network of ``file.py:Factory`` or ``package.module:Factory`` called with ``kwargs``."""
    return from_torch(build_torch(spec, kwargs), source=spec)


def build_torch(spec: str, kwargs: dict | None = None):
    """The ``nn.Module`` that ``file.py:Factory`` or ``package.module:Factory`` returns when called with
    ``kwargs``: the code imported with its folder importable, every failure of it one sentence."""
    location, _, attribute = str(spec).rpartition(":")
    if not location or not attribute.isidentifier():
        raise ParameterError(f"{spec!r} is not PyTorch code as file.py:Factory or package.module:Factory, the "
                             f"part after ':' names a class or function; write e.g. "
                             f"examples/networks/unet.py:UNet")
    kwargs = {} if kwargs is None else kwargs
    if not isinstance(kwargs, dict):
        raise ParameterError(f"kwargs={kwargs!r} is not a mapping, the factory's keyword arguments are a JSON "
                             f"object; write e.g. {{\"in_channels\": 1}}")
    torch = _import_torch()
    folder = str(Path(location).resolve().parent) if _is_file(location) else None
    if folder:  # the file's siblings stay importable while it builds the model, as when it runs as a script
        sys.path.insert(0, folder)
    try:
        return _build(torch, spec, location, attribute, kwargs)
    finally:
        if folder and folder in sys.path:
            sys.path.remove(folder)


def _is_file(location: str) -> bool:
    return location.endswith(".py") or "/" in location or "\\" in location


def _build(torch, spec: str, location: str, attribute: str, kwargs: dict):
    module = _import(location, spec)
    factory = getattr(module, attribute, None)
    if factory is None:
        found = sorted(name for name, value in vars(module).items() if not name.startswith("_") and (
            isinstance(value, type) and issubclass(value, torch.nn.Module) and value.__module__ == module.__name__))
        hint = f"it defines {', '.join(found)}" if found else "it defines no nn.Module class"
        raise ParameterError(f"{location} has no attribute {attribute!r}, the factory must be defined there "
                             f"({hint}); name one of those")
    if not callable(factory):
        raise ParameterError(f"{spec}: {attribute} is a {type(factory).__name__}, the factory is a class or "
                             f"function that returns an nn.Module; name one")
    try:
        built = factory(**kwargs)
    except (Exception, SystemExit) as error:  # user code: sys.exit() in it must not end tconvcalc silently
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        raise ParameterError(f"{spec}: {attribute}({args}) raised {type(error).__name__}: {_first_line(error)}; "
                             f"the factory must build the module with these keyword arguments") from None
    if not isinstance(built, torch.nn.Module):
        raise ParameterError(f"{spec}: {attribute}(...) returned a {type(built).__name__}, not a torch.nn.Module; "
                             f"name the model's class or a function that returns it")
    return built


def _import(location: str, spec: str):
    """The module at ``location``: a ``.py`` file (its directory importable while it runs) or a dotted name."""
    path = Path(location)
    if _is_file(location):
        if not path.is_file():
            why = "is a directory" if path.is_dir() else "does not exist"
            raise ParameterError(f"{location} {why}, PyTorch code is a .py file followed by :Factory; check the "
                                 f"path")
        name = "_tconvcalc_model_" + re.sub(r"\W", "_", str(path.resolve()))
        loader = importlib.util.spec_from_file_location(name, path)
        if loader is None or loader.loader is None:  # a file whose suffix no importer reads
            raise ParameterError(f"{location} is not a Python file Python can import, PyTorch code is a .py file "
                                 f"followed by :Factory; give the .py file")
        module = importlib.util.module_from_spec(loader)
        sys.modules[name] = module  # dataclasses and pickling look a module up by its name
        try:
            loader.loader.exec_module(module)
        except (Exception, SystemExit) as error:
            sys.modules.pop(name, None)
            raise ParameterError(f"{location} raised {type(error).__name__} while importing: {_first_line(error)}; "
                                 f"the file must import cleanly (python {location})") from None
        return module
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as error:
        raise ParameterError(f"{spec}: module {location!r} cannot be imported ({_first_line(error)}), a dotted "
                             f"name must be importable from here; install the package or give file.py:Factory") \
            from None
    except (Exception, SystemExit) as error:
        raise ParameterError(f"{location} raised {type(error).__name__} while importing: {_first_line(error)}; "
                             f"the module must import cleanly") from None


class _Sizes:
    """A size read from a tensor at run time (``x.shape``, ``x.size(2)``): known only if the tensor's is fixed."""

    def __init__(self, dynamic: bool) -> None:
        self.dynamic = dynamic


class _Const:
    """A tensor that does not depend on the input (a parameter, a buffer, something built from them)."""

    def __init__(self, shape: tuple | None) -> None:
        self.shape = shape


def from_torch(module, ndim: int | None = None, source: str | None = None) -> Network:
    """The network of an ``nn.Module``, traced with ``torch.fx.symbolic_trace``; ``ndim`` (spatial axes)
    is read from the first convolution or pooling when not given."""
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise ParameterError(f"{type(module).__name__} is not a torch.nn.Module, from_torch reads modules; pass "
                             f"the model itself")
    source = source or type(module).__name__
    return _TorchReader(torch, trace(module, source), source, ndim, type(module).__name__).read()


def trace(module, source: str):
    """``torch.fx.symbolic_trace(module)``, its failure (forward() is user code) one sentence."""
    torch = _import_torch()
    try:
        return torch.fx.symbolic_trace(module)
    except (Exception, SystemExit) as error:
        raise ParameterError(f"{source}: torch.fx cannot trace {type(module).__name__} ({type(error).__name__}: "
                             f"{_first_line(error)}), tconvcalc reads PyTorch code structurally with torch.fx; "
                             f"export the model to ONNX (torch.onnx.export) and read the .onnx file") from None


def _module_ndim(torch, module) -> int | None:
    """The spatial axes a torch.nn leaf module says it works on (Conv2d: 2), or None."""
    nn = torch.nn
    if isinstance(module, (nn.modules.conv._ConvNd,)):
        return len(module.kernel_size)
    if isinstance(module, (nn.PixelShuffle, nn.PixelUnshuffle)):
        return 2
    match = re.search(r"([123])d$", type(module).__name__)
    return int(match.group(1)) if match and type(module).__module__.startswith("torch.nn") else None


class _TorchReader(Reader):
    builder: Builder  # set by read, once ndim is known

    def __init__(self, torch, graph_module, source: str, ndim: int | None, name: str) -> None:
        self.torch, self.gm, self.source, self.name = torch, graph_module, source, name
        self.ndim: int = ndim or 0  # 0 until read infers it from the first convolution or pooling
        self.values: dict = {}
        self.channels: int | None = None

    # - helpers
    def node_name(self, node) -> str:
        return str(node.target) if node.op == "call_module" else node.name

    def kind(self, node) -> str:
        if node.op == "call_module":
            return type(self.gm.get_submodule(node.target)).__name__
        if node.op == "call_method":
            return f"Tensor.{node.target}"
        target = node.target
        module = getattr(target, "__module__", None) or ""
        name = getattr(target, "__name__", str(target))
        prefix = "F." if "functional" in module or module == "torch._C._nn" else (
            "operator." if module == "_operator" else "torch.")
        return prefix + name

    def value(self, arg):
        """An fx argument with every node replaced by what the reader knows about it."""
        fx = self.torch.fx
        if isinstance(arg, fx.Node):
            return self.values[arg]
        if isinstance(arg, (list, tuple)):
            return type(arg)(self.value(a) for a in arg)
        if isinstance(arg, dict):
            return {k: self.value(v) for k, v in arg.items()}
        if isinstance(arg, slice):
            return slice(self.value(arg.start), self.value(arg.stop), self.value(arg.step))
        return arg

    def bind(self, node, kind: str, offset: int = 0) -> dict:
        names = SIGNATURES[kind]
        args = {name: self.value(a) for name, a in zip(names[offset:], node.args)}
        args.update({k: self.value(v) for k, v in node.kwargs.items()})
        if "self" in args and "input" not in args:
            args["input"] = args.pop("self")
        return args

    def infer_ndim(self) -> int:
        for node in self.gm.graph.nodes:
            found = None
            if node.op == "call_module":
                found = _module_ndim(self.torch, self.gm.get_submodule(node.target))
            elif node.op == "call_function":
                match = re.search(r"([123])d(_with_indices)?$", getattr(node.target, "__name__", ""))
                found = int(match.group(1)) if match else None
                if getattr(node.target, "__name__", "") in ("pixel_shuffle", "pixel_unshuffle"):
                    found = 2
            if found:
                return found
        raise ParameterError(f"{self.source}: no convolution or pooling tells how many spatial axes the input has; "
                             f"pass ndim (from_torch(module, ndim=2))")

    def per_axis(self, node, kind: str, field: str, value) -> list[int]:
        values = per_axis(value, self.ndim)
        if values is None or not all(isinstance(v, int) for v in values):
            raise self.fail(node, kind, f"has {field}={value!r}, which is not one int or {self.ndim} ints for this "
                                        f"{self.ndim}-D network")
        return values

    def act(self, node, kind: str, value) -> Value:
        if not isinstance(value, Value):
            raise self.fail(node, kind, "reads something that is not an activation tensor")
        return value

    def check_ndim(self, node, kind: str, found: int | None) -> None:
        if found is not None and found != self.ndim:
            raise self.fail(node, kind, f"works on {found} spatial axes and the network has {self.ndim}")

    # - reading
    def read(self) -> Network:
        self.ndim = self.ndim or self.infer_ndim()
        if not 1 <= self.ndim <= 3:
            raise ParameterError(f"ndim={self.ndim}, networks have 1 to 3 spatial axes; give 1 to 3")
        self.builder = Builder(self.source, self.ndim)
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            names = ", ".join(n.target for n in placeholders)
            raise ParameterError(f"{self.source}: forward takes {len(placeholders)} inputs ({names}), tconvcalc "
                                 f"follows networks with one image input; wrap the model so forward takes one tensor")
        outputs: list[str] = []
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                self.values[node] = Value(INPUT)
            elif node.op == "get_attr":
                attribute = self.gm
                for part in node.target.split("."):
                    attribute = getattr(attribute, part)
                self.values[node] = _Const(tuple(attribute.shape) if hasattr(attribute, "shape") else None)
            elif node.op == "output":
                outputs = [v.node for v in _flatten(self.value(node.args[0]))
                           if isinstance(v, Value) and v.node is not None]
            else:
                self.values[node] = self.call(node)
        return self.builder.network(self.name, outputs, self.channels)

    def call(self, node):
        kind = self.kind(node)
        arguments = [v for v in _flatten(self.value((node.args, node.kwargs)))]
        acts = [v for v in arguments if isinstance(v, Value)]
        sizes = [v for v in arguments if isinstance(v, _Sizes)]
        if not acts:  # no activation: a size computation or a constant
            if node.op == "call_method" or node.op == "call_function":
                if any(s.dynamic for s in sizes):
                    return _Sizes(True)
                if node.op == "call_function" and node.target in (operator.getitem,) and isinstance(
                        self.value(node.args[0]), (list, tuple)):
                    return self.value(node.args[0])[self.value(node.args[1])]
            return _Sizes(False) if sizes else _Const(None)
        if all(a.node is None for a in acts) and not (node.op == "call_function" and node.target is operator.getitem):
            self.refuse_growing(node, kind)
            return self.static(node)  # it reads only tensors whose sizes are the same for every input
        if node.op == "call_module":
            return self.module(node, kind, self.gm.get_submodule(node.target))
        name = node.target if node.op == "call_method" else getattr(node.target, "__name__", "")
        return self.function(node, kind, str(name))

    def refuse_growing(self, node, kind: str) -> None:
        """A layer that would give a tensor whose sizes no longer follow the input (after a global pooling, or
        a view of it) a spatial size again: refused by name, never dropped (its output is not 1×1)."""
        nn = self.torch.nn
        if node.op == "call_module":
            module = self.gm.get_submodule(node.target)
            growing = isinstance(module, (nn.modules.conv._ConvTransposeNd, nn.Upsample, nn.PixelShuffle)) or \
                type(module).__name__.startswith(("MaxUnpool", "ZeroPad", "ConstantPad", "ReplicationPad",
                                                  "ReflectionPad", "CircularPad"))
        else:
            name = str(node.target if node.op == "call_method" else getattr(node.target, "__name__", ""))
            growing = name in ("interpolate", "upsample", "pad", "pixel_shuffle") or name.startswith(
                ("conv_transpose", "max_unpool")) or name in REPEATS and self.repeats_spatially(node)
        if growing:
            raise self.fail(node, kind, "gives a tensor whose size no longer follows the input (after a global "
                                        "pooling) a spatial size again, which tconvcalc cannot follow")

    def repeats_spatially(self, node) -> bool:
        """Whether a ``repeat``/``expand``/``tile`` gives some spatial axis a size other than its own (factors
        other than 1, -1 keeps)."""
        factors = [self.value(a) for a in node.args[1:]] or [self.value(v) for v in node.kwargs.values()]
        if len(factors) == 1 and isinstance(factors[0], (list, tuple)):
            factors = list(factors[0])
        spatial = factors[-self.ndim:] if len(factors) >= self.ndim else factors
        return not all(isinstance(f, int) and f in (1, -1) for f in spatial)

    # - modules
    def module(self, node, kind: str, module):
        source = self.act(node, kind, self.value(node.args[0]) if node.args else None)
        if type(module).__module__.startswith("torch.nn"):
            self.check_ndim(node, kind, _module_ndim(self.torch, module))
        # a class and its bases, most specific first (ConvTranspose2d is a _ConvTransposeNd before a _ConvNd)
        handler = handles.find(*(cls.__name__ for cls in type(module).__mro__))
        if handler is not None:
            return handler(self, node, kind, source, module)
        if not source.dynamic:
            return Value(None)  # it reads sizes fixed for every input (after a global pooling)
        if isinstance(module, self.torch.nn.LayerNorm):
            raise self.fail(node, kind, f"normalizes over the last {len(module.normalized_shape)} axes, which "
                                        f"fixes them to {list(module.normalized_shape)}")
        raise self.fail(node, kind, "could change a spatial size and tconvcalc has no size rule for it")

    @handles("_ConvTransposeNd")
    def conv_transpose_module(self, node, kind: str, source: Value, module):
        if len(node.args) > 1 or "output_size" in node.kwargs:
            raise self.fail(node, kind, "is called with output_size, which sets its size from another tensor "
                                        "at run time; tconvcalc cannot follow that yet")
        return self.conv_transpose(node, kind, source, module)

    @handles("_ConvNd")
    def conv_module(self, node, kind: str, source: Value, module):
        return self.conv(node, kind, source, module)

    @handles("MaxPool1d", "MaxPool2d", "MaxPool3d")
    def max_pool_module(self, node, kind: str, source: Value, module):
        out = self.pool(node, kind, source, "max_pool", module.kernel_size, module.stride, module.padding,
                        module.dilation, module.ceil_mode)
        return (out, out) if module.return_indices else out

    @handles("AvgPool1d", "AvgPool2d", "AvgPool3d")
    def avg_pool_module(self, node, kind: str, source: Value, module):
        return self.pool(node, kind, source, "avg_pool", module.kernel_size, module.stride, module.padding, 1,
                         module.ceil_mode)

    @handles("LPPool1d", "LPPool2d", "LPPool3d")
    def lp_pool_module(self, node, kind: str, source: Value, module):
        return self.pool(node, kind, source, "avg_pool", module.kernel_size, module.stride, 0, 1,
                         module.ceil_mode)

    @handles("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
             "AdaptiveMaxPool3d")
    def adaptive_module(self, node, kind: str, source: Value, module):
        out = self.adaptive(node, kind, source, module.output_size)
        return (out, out) if getattr(module, "return_indices", False) else out

    @handles("Upsample")
    def upsample_module(self, node, kind: str, source: Value, module):
        return self.resize(node, kind, source, module.size, module.scale_factor)

    @handles("PixelShuffle", "PixelUnshuffle")
    def shuffle_module(self, node, kind: str, source: Value, module):
        shuffle = isinstance(module, self.torch.nn.PixelShuffle)
        r = module.upscale_factor if shuffle else module.downscale_factor
        return self.shuffle(node, kind, source, r, shuffle)

    @handles("MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d")
    def unpool_module(self, node, kind: str, source: Value, module):
        if len(node.args) > 2 or "output_size" in node.kwargs:
            raise self.fail(node, kind, "is called with output_size, which sets its size from another tensor "
                                        "at run time; tconvcalc cannot follow that yet")
        return self.unpool(node, kind, source, module.kernel_size, module.stride, module.padding)

    @handles(*(f"{mode}Pad{n}d" for mode in ("Zero", "Constant", "Replication", "Reflection", "Circular")
               for n in (1, 2, 3)))
    def pad_module(self, node, kind: str, source: Value, module):
        mode = {"Zero": "constant", "Cons": "constant", "Repl": "replicate", "Refl": "reflect",
                "Circ": "circular"}[type(module).__name__[:4]]
        return self.pad(node, kind, source, list(module.padding), mode)

    @handles(*PASS_MODULES)
    def passing_module(self, node, kind: str, source: Value, module):
        return self.builder.identity(self.node_name(node), source, kind, source.channels)

    def conv(self, node, kind: str, source: Value, module) -> Value:
        if module.padding_mode not in ("zeros", "replicate"):
            raise self.fail(node, kind, f"pads in {module.padding_mode!r} mode, which needs the padding to be "
                                        f"smaller than the input (a requirement tconvcalc does not model yet); zeros "
                                        f"and replicate padding are followed")
        k, s, d = list(module.kernel_size), list(module.stride), list(module.dilation)
        padding = module.padding
        same = padding == "same"
        if isinstance(padding, str):
            pads = [(0, 0)] * self.ndim
            if same:  # PyTorch splits d(k-1) with the extra sample after; the size is n either way
                pads = [(d_ * (k_ - 1) // 2, d_ * (k_ - 1) - d_ * (k_ - 1) // 2) for k_, d_ in zip(k, d)]
        else:
            pads = [(p, p) for p in self.per_axis(node, kind, "padding", padding)]
        axes = [{"k": k[a], "s": s[a], "d": d[a], "pad": pads[a], "same": same} for a in range(self.ndim)]
        if source.node == INPUT and self.channels is None:
            self.channels = module.in_channels
        return self.builder.layer(self.node_name(node), "conv", source, axes, kind, module.out_channels,
                                  _weights(module))

    def conv_transpose(self, node, kind: str, source: Value, module) -> Value:
        if module.padding_mode != "zeros":
            raise self.fail(node, kind, f"uses padding_mode={module.padding_mode!r}, PyTorch allows only 'zeros'")
        k, s, d = list(module.kernel_size), list(module.stride), list(module.dilation)
        p, op = list(module.padding), list(module.output_padding)
        for a in range(self.ndim):
            if not 0 <= op[a] < max(s[a], d[a]):
                raise self.fail(node, kind, f"has output_padding={op[a]} on axis {a}, PyTorch requires "
                                            f"output_padding < max(stride, dilation) = {max(s[a], d[a])}")
        axes = [{"k": k[a], "s": s[a], "d": d[a], "crop": (p[a], p[a] - op[a])} for a in range(self.ndim)]
        if source.node == INPUT and self.channels is None:
            self.channels = module.in_channels
        return self.builder.layer(self.node_name(node), "conv_transpose", source, axes, kind, module.out_channels,
                                  _weights(module))

    def pool(self, node, kind: str, source: Value, op: str, k, s, p, d, ceil) -> Value:
        k = self.per_axis(node, kind, "kernel_size", k)
        s = k if s is None or s == [] or s == () else self.per_axis(node, kind, "stride", s)
        p = self.per_axis(node, kind, "padding", p)
        d = self.per_axis(node, kind, "dilation", d)
        for a in range(self.ndim):
            if p[a] > k[a] // 2:
                raise self.fail(node, kind, f"pads {p[a]} on axis {a}, more than half the pooling window "
                                            f"{k[a]}, which PyTorch refuses at every size")
        axes = [{"k": k[a], "s": s[a], "d": d[a], "pad": (p[a], p[a]), "ceil": bool(ceil), "same": False}
                for a in range(self.ndim)]
        if op == "avg_pool" and self.ndim == 3:  # avg_pool3d checks the unpadded input against the window
            for axis in axes:
                axis["unpadded_window"] = True
        return self.builder.layer(self.node_name(node), op, source, axes, kind, source.channels)

    def adaptive(self, node, kind: str, source: Value, size) -> Value:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * self.ndim
        if len(sizes) == 1:
            sizes *= self.ndim
        if None in sizes or len(sizes) != self.ndim:
            raise self.fail(node, kind, f"has output_size={size!r} with axes left as they are (None), which "
                                        f"tconvcalc cannot size in one layer")
        return self.builder.layer(self.node_name(node), "adaptive_pool", source, [{"size": n} for n in sizes],
                                  kind, source.channels)

    def resize(self, node, kind: str, source: Value, size, scale) -> Value:
        name = self.node_name(node)
        if size is not None:
            if _dynamic(size):
                raise self.fail(node, kind, "resizes to a size read from another tensor at run time; tconvcalc "
                                            "cannot follow that yet (use an integer scale_factor)")
            sizes = list(size) if isinstance(size, (list, tuple)) else [size] * self.ndim
            if not all(isinstance(n, int) for n in sizes) or len(sizes) != self.ndim:
                raise self.fail(node, kind, f"resizes to size={size!r}, which is not {self.ndim} ints")
            return self.builder.layer(name, "adaptive_pool", source, [{"size": n} for n in sizes], kind,
                                      source.channels)
        if scale is None or _dynamic(scale):
            raise self.fail(node, kind, "has no constant size or scale_factor")
        scales = list(scale) if isinstance(scale, (list, tuple)) else [scale] * self.ndim
        if len(scales) != self.ndim:
            raise self.fail(node, kind, f"has scale_factor={scale!r}, not one value per spatial axis")
        factors = []
        for a, value in enumerate(scales):
            if not isinstance(value, (int, float)) or value < 1 or value != int(value):
                raise self.fail(node, kind, f"scales axis {a} by {value!r}, tconvcalc follows integer scale factors "
                                            f"≥ 1 (floor(n·{value}) is not one of its size rules)")
            factors.append(int(value))
        if all(r == 1 for r in factors):
            return self.builder.identity(name, source, kind, source.channels)
        return self.builder.layer(name, "upsample", source, [{"r": r} for r in factors], kind, source.channels)

    def shuffle(self, node, kind: str, source: Value, r: object, up: bool) -> Value:
        if not isinstance(r, int) or isinstance(r, bool) or r < 1:  # PyTorch checks it only when it runs
            raise self.bad(node, kind, f"has {'upscale' if up else 'downscale'}"
                                                                         f"_factor={r!r}, PyTorch requires a whole "
                                                                         f"number ≥ 1")
        if self.ndim != 2:
            raise self.fail(node, kind, f"rearranges the last two axes and this network has {self.ndim} spatial "
                                        f"axes")
        c = source.channels
        channels = None if c is None else (c // (r * r) if up else c * r * r)
        return self.builder.layer(self.node_name(node), "pixel_shuffle" if up else "pixel_unshuffle", source,
                                  [{"r": r}] * 2, kind, channels)

    def unpool(self, node, kind: str, source: Value, k, s, p) -> Value:
        k = self.per_axis(node, kind, "kernel_size", k)
        s = k if s is None else self.per_axis(node, kind, "stride", s)
        p = self.per_axis(node, kind, "padding", p)
        axes = [{"k": k[a], "s": s[a], "d": 1, "crop": (p[a], p[a])} for a in range(self.ndim)]
        return self.builder.layer(self.node_name(node), "conv_transpose", source, axes, kind, source.channels,
                                  {})  # no weights: it copies each value to where its index says

    def pad(self, node, kind: str, source: Value, pads, mode: str) -> Value:
        if mode not in ("constant", "replicate"):
            raise self.fail(node, kind, f"pads in {mode!r} mode, which needs the pads to be smaller than the input "
                                        f"(a requirement tconvcalc does not model yet); constant and replicate pads "
                                        f"are followed")
        if _dynamic(pads) or not all(isinstance(v, int) for v in pads) or len(pads) % 2:
            raise self.fail(node, kind, f"has pad={pads!r}, not constant (before, after) pairs")
        pairs = [(pads[i], pads[i + 1]) for i in range(0, len(pads), 2)][::-1]  # F.pad starts at the last axis
        rank = self.ndim + 2
        pairs = [(0, 0)] * (rank - len(pairs)) + pairs
        if len(pairs) > rank:
            raise self.fail(node, kind, f"pads {len(pairs)} axes of a {rank}-D tensor")
        channels = source.channels
        if channels is not None:
            channels += sum(pairs[1])
        return self._crop(node, kind, source, pairs[2:], channels)

    def _crop(self, node, kind: str, source: Value, spatial, channels) -> Value:
        name = self.node_name(node)
        if all(pair == (0, 0) for pair in spatial):
            return self.builder.identity(name, source, kind, channels)
        return self.builder.layer(name, "pad", source, [{"pad": tuple(p)} for p in spatial], kind, channels)

    # - functions and methods
    def function(self, node, kind: str, name: str):
        target = node.target
        method = node.op == "call_method"
        indices = name.endswith("_with_indices")  # F.max_pool2d(return_indices=True) as fx records it
        name = name[:-len("_with_indices")] if indices else name
        base = re.sub(r"_[123]d$|[123]d$", "", name)
        found = re.search(r"([123])d$", name)
        if found and not method:
            self.check_ndim(node, kind, int(found.group(1)))
        if target is operator.getitem:
            return self.getitem(node, kind)
        if name in PASS_FUNCTIONS:
            source = self.act(node, kind, self.value(node.args[0]))
            return self.builder.identity(self.node_name(node), source, kind, source.channels)
        if name in ("cat", "concat", "concatenate"):
            return self.cat(node, kind)
        if name in BINARY:
            return self.binary(node, kind, name, method)
        if name in ("size", "dim", "numel") and method:
            return _Sizes(any(isinstance(v, Value) and v.dynamic for v in [self.value(node.args[0])]))
        if target is getattr and len(node.args) > 1 and node.args[1] in ("shape", "ndim", "dtype", "device"):
            return _Sizes(self.value(node.args[0]).dynamic)
        if not method and base in ("max_pool", "avg_pool", "lp_pool", "adaptive_avg_pool", "adaptive_max_pool",
                                   "max_unpool"):
            return self.functional_pool(node, kind, base, indices)
        if name in ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear") and not method:
            args = self.bind(node, "interpolate")
            source = self.act(node, kind, args.get("input"))
            return self.resize(node, kind, source, args.get("size"), args.get("scale_factor"))
        if name == "pad" and not method:
            args = self.bind(node, "pad")
            source = self.act(node, kind, args.get("input"))
            return self.pad(node, kind, source, list(args.get("pad", ())), args.get("mode", "constant"))
        if name in ("pixel_shuffle", "pixel_unshuffle"):
            args = self.bind(node, name)
            source = self.act(node, kind, args.get("input"))
            r = args.get("upscale_factor", args.get("downscale_factor"))
            return self.shuffle(node, kind, source, r, name == "pixel_shuffle")
        if name in ("chunk", "split"):
            return self.split(node, kind, name)
        if name in REDUCE:
            return self.reduce(node, kind)
        if name == "max" or name == "min":
            if len(node.args) > 1 and isinstance(self.value(node.args[1]), (Value, _Const)):
                return self.binary(node, kind, name, method)
            return self.reduce(node, kind)
        if name == "expand_as" and len(node.args) == 2:
            return self.expand_as(node, kind)
        if not any(isinstance(v, Value) and v.dynamic for v in _flatten(self.value((node.args, node.kwargs)))):
            self.refuse_growing(node, kind)  # after a global pooling: repeat(1, 1, 6, 6) gives the size back
            return self.static(node)
        if name in RESHAPE or name in ("linear",):
            raise self.fail(node, kind, "rearranges the axes, so tconvcalc can no longer tell which are spatial")
        raise self.fail(node, kind, "could change a spatial size and tconvcalc has no size rule for it")

    def static(self, node) -> Value:
        """An op on tensors whose sizes are fixed for every input (after a global pooling): no layer; the
        shape when a ``view``/``reshape`` spells it."""
        name = node.target if node.op == "call_method" else getattr(node.target, "__name__", "")
        if name in ("view", "reshape"):
            shape = [self.value(a) for a in node.args[1:]]
            shape = list(shape[0]) if len(shape) == 1 and isinstance(shape[0], (list, tuple)) else shape
            return Value(None, shape=tuple(v if isinstance(v, int) else None for v in shape))
        return Value(None)

    def expand_as(self, node, kind: str):
        """``y.expand_as(x)``: a tensor that broadcasts to ``x`` takes ``x``'s size (SE blocks)."""
        small, like = self.value(node.args[0]), self.value(node.args[1])
        if isinstance(like, Value) and (isinstance(small, Value) and (
                small.node is None and broadcast_ok(small.shape, self.ndim + 2, self.ndim)
                or small.fixed is not None and all(n == 1 for n in small.fixed))):
            return like
        raise self.fail(node, kind, "expands a tensor whose spatial size tconvcalc cannot tell to another's")

    def functional_pool(self, node, kind: str, base: str, indices: bool = False):
        if base in ("adaptive_avg_pool", "adaptive_max_pool"):
            args = self.bind(node, "adaptive")
            source = self.act(node, kind, args.get("input"))
            out = self.adaptive(node, kind, source, args.get("output_size"))
            return (out, out) if args.get("return_indices") or indices else out
        if base == "max_unpool":
            args = self.bind(node, "max_unpool")
            if args.get("output_size") is not None:
                raise self.fail(node, kind, "is called with output_size, which sets its size from another tensor "
                                            "at run time; tconvcalc cannot follow that yet")
            source = self.act(node, kind, args.get("input"))
            return self.unpool(node, kind, source, args["kernel_size"], args.get("stride"), args.get("padding", 0))
        args = self.bind(node, base)
        source = self.act(node, kind, args.get("input"))
        op = "max_pool" if base == "max_pool" else "avg_pool"
        out = self.pool(node, kind, source, op, args["kernel_size"], args.get("stride"),
                        args.get("padding", 0), args.get("dilation", 1), args.get("ceil_mode", False))
        return (out, out) if args.get("return_indices") or indices else out

    def getitem(self, node, kind: str):
        container, index = self.value(node.args[0]), self.value(node.args[1])
        if isinstance(container, (list, tuple)):
            return container[index]
        if isinstance(container, _Sizes):
            return _Sizes(container.dynamic)
        if isinstance(container, Value):
            return self.slice(node, kind, container, index)
        return _Const(None)

    def slice(self, node, kind: str, source: Value, index):
        if not source.dynamic:
            return Value(None)
        items = list(index) if isinstance(index, tuple) else [index]
        rank = self.ndim + 2
        if items.count(Ellipsis) == 1:
            at = items.index(Ellipsis)
            items = items[:at] + [slice(None)] * (rank - len(items) + 1) + items[at + 1:]
        if len(items) > rank or not all(isinstance(i, slice) for i in items):
            raise self.fail(node, kind, "indexes with integers, None or tensors, which drops or adds axes")
        items += [slice(None)] * (rank - len(items))
        channels = source.channels
        crops = []
        for axis, item in enumerate(items):
            start, stop, step = item.start, item.stop, item.step
            if _dynamic((start, stop, step)):
                raise self.fail(node, kind, f"slices axis {axis} with bounds computed at run time, a size tconvcalc "
                                            f"cannot follow yet")
            if axis == 1 and channels is not None:
                channels = len(range(channels)[item])
            if axis < 2:
                continue
            if step not in (None, 1):
                raise self.fail(node, kind, f"steps by {step} on spatial axis {axis - 2}, tconvcalc follows "
                                            f"slices with step 1 that crop both ends")
            if (start is not None and start < 0) or (stop is not None and stop >= 0):
                raise self.fail(node, kind, f"keeps [{start}:{stop}] of spatial axis {axis - 2}, a slice whose "
                                            f"length does not follow the input (tconvcalc follows [b:-e] crops)")
            crops.append((-(start or 0), stop or 0))
        return self._crop(node, kind, source, crops, channels)

    def cat(self, node, kind: str):
        args = self.bind(node, "cat")
        tensors = list(args.get("tensors", ()))
        dim = args.get("dim", 0)
        rank = self.ndim + 2
        if not isinstance(dim, int) or not -rank <= dim < rank:
            raise self.fail(node, kind, f"concatenates along dim={dim!r}, not an axis of a {rank}-D tensor")
        if dim % rank >= 2:
            raise self.fail(node, kind, f"concatenates along spatial axis {dim % rank - 2}, tconvcalc follows "
                                        f"concatenation along the channels (dim=1)")
        if not all(isinstance(t, Value) for t in tensors):
            raise self.fail(node, kind, "concatenates the activation with a constant tensor, whose spatial size is "
                                        "fixed")
        channels = None
        if dim % rank == 1 and all(t.channels is not None for t in tensors):
            channels = sum(t.channels for t in tensors)
        elif dim % rank == 0:
            channels = tensors[0].channels
        name = self.node_name(node)
        if len(tensors) == 1:
            return self.builder.identity(name, tensors[0], kind, channels)
        return self.builder.merge(name, "concat", tensors, kind, channels)

    def binary(self, node, kind: str, name: str, method: bool):
        operands = [self.value(a) for a in node.args] + [self.value(v) for k, v in node.kwargs.items()
                                                          if k in ("other", "input", "condition")]
        values = []
        rank = self.ndim + 2
        for operand in operands:
            if isinstance(operand, Value):
                values.append(operand)
            elif isinstance(operand, _Const):
                if not broadcast_ok(operand.shape, rank, self.ndim):
                    shape = "unknown shape" if operand.shape is None else f"shape {list(operand.shape)}"
                    raise self.fail(node, kind, f"combines the activation with a constant tensor of {shape}, which "
                                                f"may fix a spatial size (it must be 1 on the spatial axes)")
            elif isinstance(operand, _Sizes) and operand.dynamic:
                raise self.fail(node, kind, "combines the activation with a size read at run time")
        return merge_elementwise(self.builder, self.node_name(node), kind, values, rank,
                                 lambda why: self.fail(node, kind, why))

    def split(self, node, kind: str, name: str):
        args = self.bind(node, name)
        source = self.act(node, kind, args.get("input"))
        dim = args.get("dim", 0)
        rank = self.ndim + 2
        if not isinstance(dim, int) or dim % rank >= 2:
            raise self.fail(node, kind, f"splits along dim={dim!r}, tconvcalc follows splits along the channels")
        parts = args.get("chunks", args.get("split_size_or_sections"))
        pieces = parts if isinstance(parts, (list, tuple)) else [parts]
        if not all(isinstance(p, int) and not isinstance(p, bool) and (p >= 1 or p == 0 and name == "split"
                                                                        and isinstance(parts, (list, tuple)))
                   for p in pieces) or not pieces:
            raise self.bad(node, kind, f"splits into {parts!r}, PyTorch requires "
                                       f"{'chunks' if name == 'chunk' else 'split sizes'}"
                                       f" of at least 1")
        c = source.channels
        sizes: list[int | None]
        if name == "chunk":
            if not isinstance(parts, int):
                raise self.bad(node, kind, f"splits into {parts!r} chunks, PyTorch requires chunks to be one int")
            count = parts
            sizes = [None] * count if c is None or dim % rank != 1 else [len(r) for r in _chunks(c, parts)]
        elif isinstance(parts, (list, tuple)):
            sizes = list(parts) if dim % rank == 1 else [None] * len(parts)
        else:
            assert isinstance(parts, int)  # every piece is an int ≥ 1 (checked above)
            count = 1 if c is None else -(-c // parts)
            sizes = [None] * count if c is None else [min(parts, c - i * parts) for i in range(count)]
        base = self.node_name(node)
        return tuple(self.builder.identity(base if i == 0 else f"{base}:{i}", source, kind,
                                           size if dim % rank == 1 else c) for i, size in enumerate(sizes))

    def reduce(self, node, kind: str):
        args = self.bind(node, "reduce")
        source = self.act(node, kind, args.get("input"))
        dim, keep = args.get("dim"), args.get("keepdim", False)
        rank = self.ndim + 2
        dims = set(range(rank)) if dim is None else {d % rank for d in (dim if isinstance(dim, (list, tuple))
                                                                        else [dim])}
        spatial = set(range(2, rank))
        channels = 1 if 1 in dims else source.channels
        name = self.node_name(node)
        if not dims & spatial:
            if keep:
                out = self.builder.identity(name, source, kind, channels)
                return (out, out) if dim is not None and str(getattr(node.target, "__name__", node.target)) in (
                    "max", "min") else out
            raise self.fail(node, kind, "drops an axis (keepdim=False), so the spatial axes move")
        if dims >= spatial:
            pooled = self.builder.layer(name, "adaptive_pool", source, [{"size": 1}] * self.ndim, kind, channels)
            out = pooled if keep else Value(None, channels)
            return (out, out) if node.target in ("max", "min") or getattr(node.target, "__name__", "") in (
                "max", "min") else out
        raise self.fail(node, kind, f"reduces over axes {sorted(dims)}, only some of the spatial axes, which "
                                    f"tconvcalc cannot size")


def _weights(module) -> dict:
    """How a convolution's weights are laid out, for its cost."""
    return {"groups": module.groups, "bias": module.bias is not None}


def _chunks(count: int, parts: int) -> list[range]:
    size = -(-count // parts)
    return [range(i, min(i + size, count)) for i in range(0, count, size)]


def _flatten(value) -> list:
    if isinstance(value, (list, tuple)):
        return [item for v in value for item in _flatten(v)]
    if isinstance(value, dict):
        return [item for v in value.values() for item in _flatten(v)]
    if isinstance(value, slice):
        return _flatten([value.start, value.stop, value.step])
    return [value]


def _dynamic(value) -> bool:
    """Whether a (possibly nested) argument holds a size read at run time."""
    return any(isinstance(v, (_Sizes, Value, _Const)) for v in _flatten(value))


__all__ = ["load_torch", "from_torch", "FOLLOWED"]

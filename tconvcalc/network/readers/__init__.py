"""The readers that turn a model into a :class:`~tconvcalc.network.graph.Network`: a TOML/JSON spec
(:mod:`.spec_file`), an ONNX file (:mod:`.onnx`), a Keras file (:mod:`.keras`) and PyTorch code
(:mod:`.torch`, its weights in :mod:`.torch_weights`).  The model readers share :mod:`.base`: one tensor's
:class:`~.base.Value`, the :class:`~.base.Builder` and one registry of handlers keyed by op or class name.
:func:`tconvcalc.network.load` picks the reader from the model's name.
"""

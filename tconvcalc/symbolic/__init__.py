"""SymPy: the matrix C and its transpose, derivations with proofs, and the paper's relationships.

* :mod:`~tconvcalc.symbolic.matrix` - C filled with kernel symbols at the operator's
  ``(row, column, tap)`` triples (``conv_matrix``, ``ConvOperator``);
* :mod:`~tconvcalc.symbolic.proof` - ``Step``, ``Proof``, ``Derivation``, ``prove_equal``;
* :mod:`~tconvcalc.symbolic.derivations` - output size, ambiguity, equivalence, phases, formulas (each bounded
  before it is built: long lists show their first and last rows, large proofs check a sample or are skipped,
  and say so);
* :mod:`~tconvcalc.symbolic.gradient` - a convolution's gradients: ∂L/∂x = Cᵀg, ∂L/∂w, and the converse;
* :mod:`~tconvcalc.symbolic.phases` - the sub-pixel phases one at a time, arithmetically (any stride);
* :mod:`~tconvcalc.symbolic.inverse` - Cᵀ versus C⁻¹ and C⁺: CCᵀ's structure proved, the layer's verdicts;
* :mod:`~tconvcalc.symbolic.relationships` - Dumoulin & Visin's relationships 1-14;
* :mod:`~tconvcalc.symbolic.vocabulary` - symbol names, ``m | n`` and Iverson brackets.

conv_arithmetic's 4×16 matrix of a 3×3 kernel on a 4×4 input:

>>> C = conv_matrix((4, 4), (3, 3))
>>> C.shape, C[0, :4]
((4, 16), Matrix([[w_{0,0}, w_{0,1}, w_{0,2}, 0]]))
>>> conv_transpose_matrix(2, 3, stride=2).T.shape   # C of the convolution whose transpose it is
(2, 5)
"""

from __future__ import annotations

from .derivations import (CLOSED_FORM_TERMS, PROOF_TERMS, closed_form, closed_form_for, derive_ambiguity,
                          derive_equivalence, derive_formulas, derive_output_size, derive_phases, expanded_outputs,
                          formula_outputs, general_conv_size, general_output_size)
from ..model.arithmetic import conv_layer  # the layer derive_gradient takes; sympy-free, so it lives in the model
from .gradient import derive_gradient
from .inverse import LAYER_STEPS, derive_inverse
from .matrix import (BAND_COLS, KEEP_COLS, KEEP_ROWS, MAX_COLS, MAX_EXPRESSION_TERMS, MAX_KERNEL_ENTRIES, MAX_ROWS,
                     MAX_SYMBOLIC_NNZ, MAX_WHOLE_CELLS, ConvOperator, conv_matrix, conv_operator, conv_transpose_matrix,
                     conv_transpose_operator, elide, operator_from_axes)
from .proof import Derivation, NumericCheck, Proof, Step, prove_equal
from .relationships import Relationship, derive_relationships
from .vocabulary import Divides, Iverson, check_name, indexed_name

__all__ = [
    "BAND_COLS", "CLOSED_FORM_TERMS", "LAYER_STEPS", "ConvOperator", "Derivation", "Divides", "Iverson", "KEEP_COLS",
    "KEEP_ROWS", "MAX_COLS", "MAX_EXPRESSION_TERMS", "MAX_KERNEL_ENTRIES", "MAX_ROWS", "MAX_SYMBOLIC_NNZ",
    "MAX_WHOLE_CELLS", "NumericCheck", "PROOF_TERMS", "derive_inverse", "Proof", "Relationship", "Step", "check_name",
    "closed_form", "closed_form_for", "conv_matrix", "conv_operator", "conv_layer", "conv_transpose_matrix",
    "conv_transpose_operator", "derive_ambiguity", "derive_equivalence", "derive_formulas", "derive_gradient",
    "derive_output_size", "derive_phases", "derive_relationships", "elide", "expanded_outputs", "formula_outputs",
    "general_conv_size", "general_output_size", "indexed_name", "operator_from_axes", "prove_equal",
]

r"""Every sentence, title, table header and caption the notes print, one catalogue per language.

Standard library only.  An entry is LaTeX prose: variables in math mode (``$n$``, ``$m_{\min}$``), code
names between backquotes (`` `output_padding` ``: ``\texttt`` in LaTeX, backquotes in Markdown),
``**bold**`` and ``*emphasis*`` (Markdown's marks, LaTeX's ``\textbf``/``\emph``) and ``«name»`` for
the values filled in.  The formulas themselves never live here: SymPy's printer writes
them (:mod:`tconvcalc.notes.bodies`).  The words follow the seed articles: 转置卷积, 卷积矩阵, 步长, 填充,
输出填充, 膨胀, 棋盘效应.

>>> phrase("en", "size.values", i=2, k=3, s=2, p=0, op=0, d=1, where="")
'With $i = 2$, $k = 3$, $s = 2$, $p = 0$, $\\mathit{op} = 0$, $d = 1$:'
>>> phrase("zh", "title.size")
'输出尺寸'
>>> check_language("fr")
Traceback (most recent call last):
...
tconvcalc.errors.ParameterError: language 'fr' is not supported, the notes are written in en (English) or zh
(Chinese); pick en or zh
"""

from __future__ import annotations

import re

from ..errors import ParameterError

LANGUAGES = {"en": "English", "zh": "Chinese"}

EN = {
    # --- the document ---
    "intro": "A «ndim»-D transposed convolution with",
    "box": "Relationship",
    "box.end": ".",  # after a box's bold heading
    "proof.lead": "*Proof.* Proved by expanding both sides symbolically: «clauses».",
    "proof.failed": "**NOT proved:** «clause»; the difference `«counterexample»` does not expand to $0$.",
    "proof.join": "; ",
    "where": " (axis «n»)",
    "yes": r"$\checkmark$",
    "no": r"$\times$",
    "none": "none",
    # --- section titles ---
    "title.size": "Output size",
    "title.matrix": r"The convolution matrix $C$ and the transposed convolution $y = C^{\mathsf{T}} x$",
    "title.formulas": "Element formulas",
    "title.equivalence": "The equivalent direct convolution",
    "title.table": "Valid output padding",
    "title.figure": "Zero insertion, drawn",
    "title.ambiguity": "Which sizes the transposed convolution can restore",
    "title.phases": "Sub-pixel (phase) decomposition",
    "title.relationships": "Relationships 1 to 14 of Dumoulin and Visin, re-derived",
    # --- output size ---
    "size.scatter": "Every input sample $n$ and kernel tap $a$ scatter to position",
    "size.min": "The smallest position is at $n = 0$, $a = 0$,",
    "size.max": "the largest at $n = i - 1$, $a = k - 1$,",
    "size.full": r"so the full scatter has $F = m_{\max} - m_{\min} + 1$ samples:",
    "size.crop": "The output drops $b$ samples at the start and $e$ at the end:",
    "size.pytorch": r"PyTorch's `padding` and `output_padding` are the crop $b = p$ and $e = p - \mathit{op}$:",
    "size.box": r"For any $i$, $k$, $s$, $d$ and PyTorch's $p$ and $\mathit{op}$,",
    "size.values": r"With $i = «i»$, $k = «k»$, $s = «s»$, $p = «p»$, $\mathit{op} = «op»$, $d = «d»$«where»:",
    "proof.size": "for these sizes the derived $o$ equals the span of the positions $C$'s taps reach, minus the crop",
    # --- the matrix ---
    "matrix.lead": ("$C$ is the matrix of the direct convolution of a length-$o$ signal (rows: its outputs, columns: "
                    "its inputs, both flattened row-major, as in Dumoulin and Visin's guide); the transposed "
                    "convolution is $y = C^{\\mathsf{T}} x$."),
    "matrix.elided": "$«name»$ is $«rows» \\times «cols»$ with at most «nnz» non-zeros; rows from its two ends are "
                     "shown, each with all of its non-zeros.",
    # --- element formulas ---
    "formulas.lead": (r"Each output collects the taps $a$ whose input index $n$ is a whole number inside the input; "
                      r"for symbolic $i$, $k$, $s$, $p$, $d$ ($\mathit{op}$ only sets how many outputs there are),"),
    "formulas.axis": "on each axis $t$",
    "formulas.guard": "summing only over the taps with",
    "formulas.guard_axis": "summing only over the taps with, on every axis $t$,",
    "formulas.shown": "For these sizes, output by output («shown» of «total» shown):",
    "formulas.all": "For these sizes, output by output:",
    "formulas.not_evaluated": ("The closed form sums «per» terms at each output (one per kernel tap), more than SymPy "
                               "evaluates quickly («limit»), so it is not evaluated here«then»."),
    "formulas.from_columns": "; the outputs below are read from $C$'s columns, and the comparison with "
                             r"$C^{\mathsf{T}} x$ is skipped",
    "formulas.not_expanded": "; the outputs, sums of up to «longest» terms, are not expanded either",
    "proof.closed": r"the closed form equals $C^{\mathsf{T}} x$ at the «count» outputs shown of $«size»$",
    # --- equivalence ---
    "eqv.stretch": "Insert $s - 1$ zeros between input samples; the stretched input has length",
    "eqv.lo": r"Pad it by $p_{\mathrm{lo}}$ before and $p_{\mathrm{hi}}$ after (a negative pad crops),",
    "eqv.hi": "",
    "eqv.flip": "and correlate with the flipped kernel",
    "eqv.out": (r"at stride $1$ and dilation $d$; its output size "
                r"$i_z + p_{\mathrm{lo}} + p_{\mathrm{hi}} - d(k - 1)$ is"),
    "eqv.box": ("For any $i$, $k$, $s$, $d$ and crop $(b, e)$, the transposed convolution is the stride-$1$ "
                "convolution, with the flipped kernel, of its input with $s - 1$ zeros between samples, padded by"),
    "eqv.caption": (r"The equivalent direct convolution, per axis: $s - 1$ zeros between samples, the stretched size "
                    r"$i_z$, the pads $p_{\mathrm{lo}}$ and $p_{\mathrm{hi}}$ (negative: crop), stride $s' = 1$, "
                    r"dilation $d$ and its output size $o'$."),
    "eqv.head.axis": "axis",
    "proof.eqv_size": r"the equivalent convolution's $o'$ equals $o$ for all $i$, $k$, $s$, $p$, $\mathit{op}$, $d$",
    "proof.eqv_index": (r"for all $i$, $k$, $s$, $d$, $b$, $e$, $n$, $a$ the index maps agree: at $C$'s output "
                        r"$m = n s + a d - b$ the flipped tap $k - 1 - a$ reads stretched position $n s$, which holds "
                        r"$x_n$"),
    "proof.eqv_layer": r"$C^{\mathsf{T}} x$ equals the zero-inserted, padded, flipped-kernel convolution «where»",
    "where.all": "at every output, for input $«size»$",
    "where.ends": "at the first and last «half» of its «total» outputs, for input $«size»$",
    "skip.check": ("The check on these sizes is skipped: outputs sum up to «longest» terms, and even the first and "
                   "last output pass the «limit» terms SymPy expands quickly; check large sizes with the numeric "
                   "backend (`tconvcalc.numeric`)."),
    # --- output padding ---
    "amb.conv": "A convolution of a length-$n$ input has output size",
    "amb.from": "It equals $i$ for every $n$ from",
    "amb.to": "up to",
    "amb.tconv": "The transposed convolution gives",
    "amb.op_from": r"so $\mathit{op} = n - n_0$ restores $n$, from",
    "amb.op_to": "to",
    "amb.accept": (r"PyTorch accepts $0 \le \mathit{op} < \max(s, d)$; only $\mathit{op} < s$ gives back an input "
                   r"size of $i$."),
    "amb.box": (r"For any $i$, $k$, $s$, $p$, $d$, the output padding $\mathit{op} = n - n_0$ that restores a "
                r"convolution's input size $n$ ranges over"),
    "table.caption": (r"Every output padding $\mathit{op}$ PyTorch accepts for this layer, the output size $o$ it "
                      r"gives, and the size the convolution with the same $k$, $s$, $p$, $d$ maps $o$ to«alike»."),
    "table.alike": " (every axis alike)",
    "table.head.axis": "axis",
    "table.head.op": r"$\mathit{op}$",
    "table.head.o": "$o$",
    "table.head.back": "conv. of $o$",
    "table.head.inverts": "gives $i$",
    "table.head.sizes": "conv. inputs it restores",
    "table.chosen": "(this layer)",
    "proof.amb_general": (r"for all $i$, $k$, $s$, $p$, $d$ and $0 \le t < s$ the convolution of $n = n_0 + t$ has "
                          r"floor argument $i - 1 + t/s$, so it gives $i$"),
    "proof.amb_layer": r"every $n$ in $[n_0, n_0 + s - 1]$ convolves back to $i$",
    "proof.amb_layer_ends": (r"the first and last «half» of the «total» sizes $n$ in $[n_0, n_0 + s - 1]$ "
                             r"convolve back to $i$"),
    # --- phases ---
    "ph.write": "Write each output position as $j + b = q s + r$ with phase $0 \\le r < s$;",
    "ph.reach": "a tap $a$ reaches it from input $n = (j + b - a d)/s$, a whole number only when",
    "ph.conv": "For those taps $a d = c_a s + r$, so the input is $q - c_a$ and phase $r$ is a stride-$1$ convolution:",
    "ph.caption": ("The phases«where»: for each residue $r$, the taps $a$ it uses, their count, and the "
                   "input offsets $c_a$."),
    "ph.head.r": "$r$",
    "ph.head.taps": "taps $a$",
    "ph.head.count": "count",
    "ph.head.offsets": "offsets $c_a$",
    "ph.more": "«count» more",
    "ph.uniform": "Every phase has the same number of taps: the overlap is uniform, no checkerboard artifacts.",
    "ph.checker": "Phases with different tap counts weight outputs unevenly: checkerboard artifacts.",
    "ph.range": " Its $«s»$ phases«where» get from «low» to «high» taps.",
    "proof.ph_index": (r"for all $i$, $k$, $s$, $d$, $b$, $q$, $r$, $a$, $C$'s index map sends input $q - c_a$, with "
                       r"$c_a = (a d - r)/s$, through tap $a$ to the phase's output $j = q s + r - b$"),
    "proof.ph_layer": r"$C^{\mathsf{T}} x$ equals the interleaved phase convolutions «where»",
    # --- the figure ---
    "figure.caption": (r"The transposed convolution as a direct convolution: the input ($«i»$, blue), the "
                       r"zero-inserted input (white: inserted zeros, dashed: padding) with the kernel's taps for the "
                       r"first output shaded, and the output ($«o»$, cyan)."),
    "figure.input": "input",
    "figure.stretched": "zero-inserted, padded; kernel at output 0",
    "figure.output": "output",
    "figure.typst": ("The figure of zero insertion is drawn with TikZ in the LaTeX notes; Typst has no TikZ, so this "
                     "note leaves it out."),
    # --- relationships ---
    "rel.box": "Relationship «n»: «title»",
    "rel.for": "For",
    "rel.any": "For any $i$, $k$, $s$, $p$,",
    "rel.equivalent": "The equivalent direct convolution has stride $s' = 1$, kernel $k' = k$ and padding",
    "rel.restores": "and with $i'$ the convolution's output size, $o'$ gives back its input:",
    "proof.rel": "the derived form equals the paper's",
    "proof.rel_transposed": "the derived form and padding equal the paper's, and the transpose gives back $i$",
    "rel.1": "no zero padding, unit strides",
    "rel.2": "zero padding, unit strides",
    "rel.3": "half (same) padding",
    "rel.4": "full padding",
    "rel.5": "no zero padding, non-unit strides",
    "rel.6": "zero padding, non-unit strides",
    "rel.7": "transpose of no padding, unit strides",
    "rel.8": "transpose of zero padding, unit strides",
    "rel.9": "transpose of half (same) padding",
    "rel.10": "transpose of full padding",
    "rel.11": r"transpose of no padding, non-unit strides, $s \mid i - k$",
    "rel.12": r"transpose of zero padding, non-unit strides, $s \mid i + 2p - k$",
    "rel.13": r"transpose of zero padding, non-unit strides, any $i$: $a = (i + 2p - k) \bmod s$ extra zeros",
    "rel.14": "dilated convolution",
    # --- gradients (derive gradient, latex --what gradient) ---
    "title.gradient": r"The backward pass: the gradients of a convolution are transposed convolutions",
    "grad.conv": ("A convolution of a length-$n$ input $x$, padded by $p$ zeros at each end, at stride $s$ and "
                  "dilation $d$, is"),
    "grad.conv_size": "with $i$ outputs,",
    "grad.dx": (r"With $g = \partial L / \partial y$ the loss changes as $\sum_j g_j y_j$; SymPy differentiates that "
                r"by one input sample $x_m$:"),
    "grad.dx_pairs": "The Kronecker delta keeps the pairs $(j, a)$ that read $x_m$,",
    "grad.dx_tconv": (r"which is where the transposed convolution with crop $b = p$ scatters $g_j$ through tap $a$: "
                      r"$\partial L / \partial x = C^{\mathsf{T}} g$."),
    "grad.op": (r"The transposed convolution of $i$ samples gives back $n$ with output padding "
                r"$\mathit{op} = n - n_0$, $n_0$ the smallest input of $i$ outputs,"),
    "grad.op_mod": r"and with $i$ from the convolution's size that is",
    "grad.op_values": r"With $n = «n»$, $k = «k»$, $s = «s»$, $p = «p»$, $d = «d»$«where»:",
    "grad.dw": "Differentiating by a tap $w_c$ instead,",
    "grad.dw_corr": (r"the delta keeps $a = c$: the weight gradient is the correlation of the padded input with $g$, "
                     r"whose samples are $s$ apart (the stride becomes the gradient's dilation) at step $d$ (the "
                     r"dilation becomes the stride),"),
    "grad.dw_size": "and of that correlation's $k'$ outputs the first $k$ are the taps:",
    "grad.tconv": (r"Conversely, the transposed convolution $Y = C^{\mathsf{T}} u$ sends $u_j$ through tap $a$ to "
                   r"$j s + a d - p$, so with $G = \partial L / \partial Y$"),
    "grad.du": r"differentiating by $u_c$ keeps $j = c$: its input gradient is the convolution $C$ of $G$,",
    "grad.dwt": "and by $w_c$: its weight gradient is the correlation of $G$ with $u$ dilated by $s$,",
    "grad.shape": (r"The weight gradient has the weight's shape, PyTorch's convolution layout "
                   r"$(C_{\mathrm{out}}, C_{\mathrm{in}}/\mathrm{groups}, k\dots) = «shape»$."),
    "grad.skip": ("The check on these sizes is skipped: $C$ has «skipped» non-zeros, more than the «limit» the check "
                  "builds from the operator's triples."),
    "grad.box.dx": (r"For any $n$, $k$, $s$, $p$, $d$, the convolution's input gradient is the transposed convolution "
                    r"with the same $k$, $s$, $p$, $d$ and the output padding that restores $n$:"),
    "grad.box.dw": ("For any $n$, $k$, $s$, $p$, $d$, the weight gradient is a correlation of the input "
                    "with the gradient:"),
    "grad.box.converse": ("For any $n$, $k$, $s$, $p$, $d$, the transposed convolution's input gradient is the "
                          "convolution $C$ (same $k$, $s$, $p$, $d$), and its weight gradient the correlation of $G$ "
                          "with $u$:"),
    "grad.checked": ("*Check.* With the NumPy backend, on integer-valued random draws (their sums are exact in "
                     "floating point, so each comparison is equality): «clauses»."),
    "grad.check_failed": "**NOT checked:** «clause»; «counterexample».",
    "proof.grad_dx": (r"for all $n$, $k$, $s$, $p$, $d$, $j$, $a$ the sample $x_m$ SymPy's derivative picks sits at "
                      r"the transposed convolution's scatter position $m = j s + a d - b$ with $b = p$, "
                      r"$C$'s index rule"),
    "proof.grad_op": (r"for all $n$, $k$, $s$, $p$, $d$, $n - n_0$ is $q - s \lfloor q/s \rfloor = q \bmod s$ with "
                      r"$q = n + 2p - d(k - 1) - 1$, and the transposed convolution with it has $n$ outputs"),
    "proof.grad_op_range": (r"for all $i$, $k$, $s$, $p$, $d$ and $0 \le t < s$, at $n = n_0 + t$ the output padding "
                            r"is $t$ and the convolution's floor argument is $i - 1 + t/s$, so "
                            r"$0 \le \mathit{op} < s$ and the convolution of $n$ gives $i$"),
    "proof.grad_dw": (r"for all $n$, $k$, $s$, $p$, $d$, $j$, $a$ the input the weight gradient reads is $C$'s index "
                      r"rule with the roles of $(j, s)$ and $(a, d)$ swapped"),
    "proof.grad_dw_size": (r"for all $i$, $k$, $s$, $p$, $d$ and $0 \le t < s$ the correlation spans "
                           r"$d(k - 1) + t$ samples at $n = n_0 + t$, "
                           r"so $k' = k + \lfloor \mathit{op}/d \rfloor \ge k$"),
    "proof.grad_converse": (r"for all $k$, $s$, $p$, $d$, $j$, $a$ the transposed convolution's derivatives read $G$ "
                            r"where the convolution reads its input, $j s + a d - p$"),
    "proof.grad_op_layer": (r"on these sizes the formula's $\mathit{op}$ is the one the size arithmetic solves for "
                            r"$n$ (`output_padding_for`)"),
    "check.grad_conv": "the convolution equals $C$ built from the operator's triples",
    "check.grad_dx": (r"$C^{\mathsf{T}} g$ equals the transposed convolution with output padding $«op»$, which "
                      r"has the input's size $«size»$"),
    "check.grad_dw": r"$\partial L / \partial w$ from the triples equals the correlation route",
    "check.grad_converse": (r"for $Y = C^{\mathsf{T}} u$, $\langle G, Y \rangle$ equals $\langle C G, u \rangle$ and "
                            r"$\langle w, \mathrm{corr}(G, u) \rangle$"),
    # --- a network's domain (net --domain) ---
    "title.net_domain": "The input sizes «network» accepts«where»",
    "net.along": " along axis «n»",
    "net.along_all": " along every axis (each has the same size rules and sizes)",
    "net.rules": "Each layer maps the size $n$ it receives to the size $m$ it passes on:",
    "net.head.layer": "Layer",
    "net.head.op": "Operation",
    "net.head.rule": "Size rule",
    "net.rules.caption": "The layers' size rules",
    "net.ceil": "(one less when that last window would start in the right padding: PyTorch's `ceil_mode`)",
    "net.more": "… and «count» more layer rules of the same kinds.",
    "net.period": ("Every division (a stride, a downscale factor) multiplies along a path, and the paths combine by "
                   "their least common multiple, so the sizes repeat with period"),
    "net.classes": ("Write each size in its residue class. On each class every layer's size is affine in $t$ "
                    "(proved below), so a class runs from some $t$ on, at one $t$ only, or never:"),
    "net.classes_plain": ("No layer divides the size, so every layer's size is affine in $t$, and the sizes run "
                          "from some $t$ on, at one $t$ only, or never:"),
    "net.head.residue": "$r$",
    "net.head.outcome": "Outcome",
    "net.classes.caption": r"The residue classes $n = «form»$, $1 \le r \le «p»$",
    "net.stop": "stops at `«node»`: «reason»",
    "net.from": r"runs for every $t \ge «t»$",
    "net.at": "runs for $t = «t»$ only",
    "net.merges": "; every merge's inputs are equal («sizes»)",
    "net.sampled": "The first and last of «count» runs of classes are shown.",
    "net.box": "Accepted sizes",
    "net.box.lead": "The network runs exactly at",
    "net.class": r"every $n \equiv «residue» \pmod{«modulus»}$ from $«first»$ on",
    "net.none": "No input size runs«where».",
    "proof.net_floor": ("$«formula»$ for all integers $t$, $c$ with $P = «p»$ and $s \\in \\{«divisors»\\}$, so on "
                        "each class every layer's size is affine in $t$"),
    "net.checked": ("*Check.* The plain size rules accept exactly these sizes at every $n$ from $«first»$ to "
                    "$«last»$ (the last threshold and one period more)."),
    "net.not_checked": ("**NOT checked:** the plain size rules disagree with these sizes somewhere between "
                        "$n = «first»$ and $n = «last»$."),
    "why.kernel": "the padded input is shorter than the dilated kernel ($«span»$)",
    "why.window": "the input, before padding, is shorter than the pooling window ($«k»$), which PyTorch's 3-D "
                  "average pooling refuses",
    "why.fixed": "the requested `output_shape` is larger than the layer can produce",
    "why.multiple": "the size is not a multiple of the downscale factor $«r»$",
    "why.empty": "it has no output left (a size must be at least $1$)",
    "why.merge": "its inputs have different sizes, $«first»$ and $«second»$",
    "why.below": "its inputs agree only below the sizes where the layers run",
    # --- Cᵀ versus C⁻¹ and C⁺ (derive inverse, latex --what inverse) ---
    "title.inverse": r"$C^{\mathsf{T}}$ versus $C^{-1}$ and $C^{+}$",
    "inv.lead": (r"Here $C$ is the $«rows» \times «cols»$ matrix of the direct convolution whose transpose is the "
                 r"layer: one row per window $j$ (the transposed convolution's input), one column per input "
                 r"position $m$ (its output), single channel. A window reads"),
    "inv.read": r"position $m$ through tap $a$ by $C$'s index rule,",
    "inv.gram": (r"so $G = C C^{\mathsf{T}}$ sums $w_a w_{a'}$ over the taps of windows $j$ and $j'$ that read one "
                 r"real position (a tap in the padding has no column in $C$):"),
    "inv.meet": r"Windows $j$ and $j'$ read one position through taps $a$ and $a'$ exactly when",
    "inv.coprime": (r"With $g = \gcd(s, d)$ the numbers $s/g$ and $d/g$ are coprime, so $a - a'$ is a multiple of "
                    r"$s/g$ (Euclid's lemma): the nearest windows that meet are $d/g$ apart, through taps"),
    "inv.diagonal": (r"apart. So no two windows share a position, and $C C^{\mathsf{T}}$ is diagonal at every size "
                     r"and padding, when"),
    "inv.d1": r"with $d = 1$ (so $g = 1$) that is",
    "inv.first": r"Positions grow with $a$: window $j$ reads its first position at",
    "inv.last": "and its last at",
    "inv.full": (r"so the first window starts at $-b$ and the last ends at $o - 1 + e$ (proved below), and every "
                 r"window is full, all $k$ taps real, exactly when"),
    "inv.exact": (r"Then every position a window reads is real, so $C C^{\mathsf{T}}$ is diagonal exactly when the "
                  r"nearest windows that would meet, $j$ and $j + d/g$, do not both exist or do not meet:"),
    "inv.norm": (r"A full window's diagonal entry is $\lVert w \rVert^{2}$; a window hanging into the padding has "
                 r"fewer real taps, and its entry sums their squares only:"),
    "inv.box": (r"When no two windows overlap and every window is full, $C C^{\mathsf{T}} = \lVert w \rVert^{2} I$, "
                r"so $C^{\mathsf{T}} / \lVert w \rVert^{2}$ is a right inverse of $C$ (and equals $C^{+}$):"),
    "inv.square": r"$C$ is $i \times o$, and",
    "inv.inverse": (r"Each term is $\ge 0$ when every window is full, so $C$ is square, and "
                    r"$C^{\mathsf{T}} / \lVert w \rVert^{2} = C^{-1}$, only when $k = 1$, $b = e = 0$ and $s = 1$ "
                    r"(or there is one window): then $C = w_0 I$."),
    "inv.rank": (r"Otherwise $\operatorname{rank} C \le \min(i, o)$: $C^{+} C$ is the orthogonal projector onto "
                 r"$C$'s row space, and the $o - \operatorname{rank} C$ directions of its null space are sent to $0$; "
                 r"no reconstruction recovers them."),
    "inv.layer": (r"For this layer«where»: $k = «k»$, $s = «s»$, $d = «d»$, $g = «g»$, so "
                  r"$(k - 1) g = «product» «relation» s = «s»$; «full» of its «windows» windows are full, and an input "
                  r"position is read by at most «shared» of them."),
    "inv.is_diagonal": r"So $C C^{\mathsf{T}}$ is diagonal«padding_only».",
    "inv.padding_only": ", as the windows that would meet do so only in the padding",
    "inv.not_diagonal": r"So windows overlap and $C C^{\mathsf{T}}$ is not diagonal.",
    "inv.is_right": (r"Every window is full and none overlap: $C^{\mathsf{T}} / \lVert w \rVert^{2}$ is a right "
                     r"inverse, not an inverse, as $C$ is $«rows» \times «cols»$."),
    "inv.is_inverse": (r"Every window is full, none overlap and $C$ is square ($«rows» \times «cols»$): "
                       r"$C^{\mathsf{T}} / \lVert w \rVert^{2} = C^{-1}$."),
    "inv.no_right": r"So $C^{\mathsf{T}} / \lVert w \rVert^{2}$ is no right inverse: «why».",
    "inv.why.overlap": "windows overlap",
    "inv.why.partial": (r"windows hanging into the padding have fewer taps, so the diagonal of $C C^{\mathsf{T}}$ is "
                        r"not constant, and $C^{+} = C^{\mathsf{T}} (C C^{\mathsf{T}})^{-1}$ rescales each row "
                        r"instead"),
    "inv.gram_skipped": (r"$C C^{\mathsf{T}}$ of these sizes has «terms» products, more than SymPy expands quickly "
                         r"(«limit»): it is not built, and the verdicts above are counted from $C$'s columns."),
    "inv.measured": (r"*Measured,* not proved: with NumPy, seed «seed», a random kernel scaled to "
                     r"$\lVert w \rVert = 1$ (so $C^{\mathsf{T}}$ is the scaled transpose) and a random input $u$, "
                     r"$C$ built from its index rule and $C^{+}$ by `numpy.linalg.pinv`:"),
    "inv.head.quantity": "Quantity",
    "inv.head.value": "Measured",
    "inv.m_rank": r"$\operatorname{rank} C$ (of «cols» columns)",
    "inv.m_null": "dimensions of the null space",
    "inv.m_transpose": r"$\lVert C^{\mathsf{T}} C u - u \rVert / \lVert u \rVert$",
    "inv.m_pinv": r"$\lVert C^{+} C u - u \rVert / \lVert u \rVert$",
    "inv.m_lost": r"the part of $u$ in the null space (from the SVD)",
    "inv.caption": "Reconstruction from $C u$, measured",
    "inv.said": (r"The structure of $C C^{\mathsf{T}}$ is *proved*: for every size as identities of $C$'s index "
                 r"map, and for this layer by building $C C^{\mathsf{T}}$ from $C$'s entries; the rank and the "
                 r"errors are *measured* and hold for the kernel and input drawn."),
    "proof.inv_meet": (r"for all $i$, $k$, $s$, $d$, $b$, $j$, $j'$, $a$, $a'$, windows $j$ and $j'$ read one "
                       r"position exactly when $(j - j') s + (a - a') d = 0$"),
    "proof.inv_shift": (r"for all $k$, $s$, $d$, $b$, $j$, $a$ and $g$ dividing $s$ and $d$, window $j + d/g$ reads "
                        r"through tap $a$ the position window $j$ reads through tap $a + s/g$"),
    "proof.inv_ends": (r"for all $i$, $k$, $s$, $d$, $b$, $e$ the first window's first tap reads $-b$ and the last "
                       r"window's last tap $o - 1 + e$"),
    "proof.inv_square": r"for all $i$, $k$, $s$, $d$, $b$, $e$, $o - i = (i - 1)(s - 1) + d(k - 1) - b - e$",
    "proof.inv_layer_diagonal": (r"for this layer $C C^{\mathsf{T}}$ is diagonal, each entry the sum of the squares "
                                 r"of its window's real taps"),
    "proof.inv_layer_norms": (r"for this layer the diagonal of $C C^{\mathsf{T}}$ holds the sums of the squares of "
                              r"each window's real taps"),
}

ZH = {
    "intro": "一个 «ndim» 维转置卷积，参数为",
    "box": "关系式",
    "box.end": "：",
    "proof.lead": "*证明：*两边经符号展开后逐项相等，«clauses»。",
    "proof.failed": "**未能证明（NOT proved）：**«clause»；差 `«counterexample»` 展开后不为 $0$。",
    "proof.join": "；",
    "where": "（第 «n» 轴）",
    "yes": r"$\checkmark$",
    "no": r"$\times$",
    "none": "无",
    "title.size": "输出尺寸",
    "title.matrix": r"卷积矩阵 $C$ 与转置卷积 $y = C^{\mathsf{T}} x$",
    "title.formulas": "逐元素公式",
    "title.equivalence": "等价的直接卷积",
    "title.table": "合法的输出填充",
    "title.figure": "插零过程图解",
    "title.ambiguity": "转置卷积能恢复哪些尺寸（输出填充的歧义）",
    "title.phases": "亚像素（相位）分解",
    "title.relationships": "重新推导 Dumoulin 与 Visin 的关系式 1 至 14",
    "size.scatter": "每个输入样本 $n$ 与卷积核位置 $a$ 散布到位置",
    "size.min": "最小位置在 $n = 0$、$a = 0$ 处取得，",
    "size.max": "最大位置在 $n = i - 1$、$a = k - 1$ 处取得，",
    "size.full": r"因此完整散布共有 $F = m_{\max} - m_{\min} + 1$ 个样本：",
    "size.crop": "输出在开头去掉 $b$ 个样本，在末尾去掉 $e$ 个：",
    "size.pytorch": r"PyTorch 的填充 `padding` 与输出填充 `output_padding` 即裁剪 $b = p$、$e = p - \mathit{op}$：",
    "size.box": r"对任意 $i$、$k$、步长 $s$、膨胀 $d$，以及 PyTorch 的填充 $p$ 与输出填充 $\mathit{op}$，",
    "size.values": r"代入 $i = «i»$、$k = «k»$、$s = «s»$、$p = «p»$、$\mathit{op} = «op»$、$d = «d»$«where»：",
    "proof.size": "对这组尺寸，推导出的 $o$ 等于 $C$ 的卷积核位置所到达的范围减去裁剪",
    "matrix.lead": ("$C$ 是对长度为 $o$ 的信号做直接卷积的卷积矩阵（行对应其输出，列对应其输入，均按行优先展平，"
                    "与 Dumoulin 和 Visin 的指南相同）；转置卷积即 $y = C^{\\mathsf{T}} x$。"),
    "matrix.elided": ("$«name»$ 为 $«rows» \\times «cols»$，至多 «nnz» 个非零元；下面列出开头与末尾的若干行，"
                      "每行的非零元全部列出。"),
    "formulas.lead": (r"每个输出汇集那些对应输入下标 $n$ 为输入范围内整数的卷积核位置 $a$；"
                      r"对符号 $i$、$k$、$s$、$p$、$d$（$\mathit{op}$ 只决定输出个数），"),
    "formulas.axis": "在每个轴 $t$ 上",
    "formulas.guard": "求和只取满足下列条件的卷积核位置：",
    "formulas.guard_axis": "求和只取在每个轴 $t$ 上满足下列条件的卷积核位置：",
    "formulas.shown": "对这组尺寸逐个输出展开（共 «total» 个，列出 «shown» 个）：",
    "formulas.all": "对这组尺寸逐个输出展开：",
    "formulas.not_evaluated": ("闭式在每个输出处有 «per» 项（每个卷积核位置一项），超过 SymPy 能快速求值的 «limit» 项，"
                               "因此此处不求值«then»。"),
    "formulas.from_columns": r"；下面的输出取自 $C$ 的列，并略去与 $C^{\mathsf{T}} x$ 的比较",
    "formulas.not_expanded": "；输出为至多 «longest» 项之和，也不展开",
    "proof.closed": r"闭式在所列 «count» 个输出处（共 $«size»$）等于 $C^{\mathsf{T}} x$",
    "eqv.stretch": "在输入样本之间插入 $s - 1$ 个零，拉伸后的输入长度为",
    "eqv.lo": r"在前端填充 $p_{\mathrm{lo}}$、后端填充 $p_{\mathrm{hi}}$（负的填充即裁剪），",
    "eqv.hi": "",
    "eqv.flip": "再与翻转后的卷积核做相关",
    "eqv.out": r"步长为 $1$、膨胀为 $d$；其输出尺寸 $i_z + p_{\mathrm{lo}} + p_{\mathrm{hi}} - d(k - 1)$ 为",
    "eqv.box": ("对任意 $i$、$k$、$s$、$d$ 与裁剪 $(b, e)$，转置卷积等于对插入 $s - 1$ 个零的输入、"
                "用翻转的卷积核做步长为 $1$ 的卷积，其填充为"),
    "eqv.caption": (r"每个轴上的等价直接卷积：样本间插入 $s - 1$ 个零，拉伸后尺寸 $i_z$，填充 $p_{\mathrm{lo}}$ 与 "
                    r"$p_{\mathrm{hi}}$（负值为裁剪），步长 $s' = 1$，膨胀 $d$，输出尺寸 $o'$。"),
    "eqv.head.axis": "轴",
    "proof.eqv_size": r"对所有 $i$、$k$、$s$、$p$、$\mathit{op}$、$d$，等价卷积的 $o'$ 等于 $o$",
    "proof.eqv_index": (r"对所有 $i$、$k$、$s$、$d$、$b$、$e$、$n$、$a$，两种下标映射一致：在 $C$ 的输出 "
                        r"$m = n s + a d - b$ 处，翻转后的位置 $k - 1 - a$ 读取拉伸输入的位置 $n s$，即 $x_n$"),
    "proof.eqv_layer": r"$C^{\mathsf{T}} x$ 等于插零、填充、翻转卷积核后的卷积«where»",
    "where.all": "（输入 $«size»$，逐个输出）",
    "where.ends": "（输入 $«size»$，共 «total» 个输出中的前 «half» 个与后 «half» 个）",
    "skip.check": ("这组尺寸下略去逐项检查：输出为至多 «longest» 项之和，即使首末输出也超过 SymPy 能快速展开的 «limit» "
                   "项；大尺寸请用数值后端（`tconvcalc.numeric`）检查。"),
    "amb.conv": "长度为 $n$ 的输入经卷积后的输出尺寸为",
    "amb.from": "对下列范围内的每个 $n$ 它都等于 $i$：从",
    "amb.to": "到",
    "amb.tconv": "转置卷积给出",
    "amb.op_from": r"因此输出填充 $\mathit{op} = n - n_0$ 恢复 $n$，从",
    "amb.op_to": "到",
    "amb.accept": r"PyTorch 接受 $0 \le \mathit{op} < \max(s, d)$；只有 $\mathit{op} < s$ 能还原输入尺寸 $i$。",
    "amb.box": r"对任意 $i$、$k$、$s$、$p$、$d$，恢复卷积输入尺寸 $n$ 的输出填充 $\mathit{op} = n - n_0$ 取值范围为",
    "table.caption": (r"本层 PyTorch 接受的每个输出填充 $\mathit{op}$、它给出的输出尺寸 $o$，以及相同 $k$、$s$、$p$、"
                      r"$d$ 的卷积把 $o$ 映射到的尺寸«alike»。"),
    "table.alike": "（各轴相同）",
    "table.head.axis": "轴",
    "table.head.op": r"$\mathit{op}$",
    "table.head.o": "$o$",
    "table.head.back": "$o$ 的卷积",
    "table.head.inverts": "还原 $i$",
    "table.head.sizes": "可恢复的卷积输入",
    "table.chosen": "（本层）",
    "proof.amb_general": (r"对所有 $i$、$k$、$s$、$p$、$d$ 与 $0 \le t < s$，$n = n_0 + t$ 的卷积中向下取整的自变量为 "
                          r"$i - 1 + t/s$，故输出为 $i$"),
    "proof.amb_layer": r"$[n_0, n_0 + s - 1]$ 中的每个 $n$ 经卷积都回到 $i$",
    "proof.amb_layer_ends": r"$[n_0, n_0 + s - 1]$ 中 «total» 个尺寸的前 «half» 个与后 «half» 个经卷积都回到 $i$",
    "ph.write": r"把每个输出位置写成 $j + b = q s + r$，相位 $0 \le r < s$；",
    "ph.reach": "卷积核位置 $a$ 从输入 $n = (j + b - a d)/s$ 到达它，仅当下式成立时它是整数：",
    "ph.conv": "对这些位置 $a d = c_a s + r$，于是输入为 $q - c_a$，相位 $r$ 是一个步长为 $1$ 的卷积：",
    "ph.caption": "各相位«where»：每个余数 $r$ 使用的卷积核位置 $a$、其个数与输入偏移 $c_a$。",
    "ph.head.r": "$r$",
    "ph.head.taps": "位置 $a$",
    "ph.head.count": "个数",
    "ph.head.offsets": "偏移 $c_a$",
    "ph.more": "另有 «count» 个",
    "ph.uniform": "各相位的卷积核位置个数相同：重叠均匀，没有棋盘效应。",
    "ph.checker": "各相位的卷积核位置个数不同，输出权重不均：出现棋盘效应。",
    "ph.range": "其 $«s»$ 个相位«where»的卷积核位置个数从 «low» 到 «high»。",
    "proof.ph_index": (r"对所有 $i$、$k$、$s$、$d$、$b$、$q$、$r$、$a$，$C$ 的下标映射把输入 $q - c_a$"
                       r"（$c_a = (a d - r)/s$）经位置 $a$ 送到该相位的输出 $j = q s + r - b$"),
    "proof.ph_layer": r"$C^{\mathsf{T}} x$ 等于交错的各相位卷积«where»",
    "figure.caption": (r"把转置卷积看作直接卷积：输入（$«i»$，蓝色）、插零后的输入（白色为插入的零，虚线为填充），"
                       r"阴影为第一个输出所用的卷积核位置，以及输出（$«o»$，青色）。"),
    "figure.input": "输入",
    "figure.stretched": "插零并填充；卷积核位于输出 0",
    "figure.output": "输出",
    "figure.typst": "插零过程图在 LaTeX 笔记中用 TikZ 绘制；Typst 没有 TikZ，本笔记略去该图。",
    "rel.box": "关系式 «n»：«title»",
    "rel.for": "当",
    "rel.any": "对任意 $i$、$k$、$s$、$p$，",
    "rel.equivalent": "等价的直接卷积步长 $s' = 1$、卷积核 $k' = k$，填充为",
    "rel.restores": "以卷积的输出尺寸作为 $i'$，$o'$ 还原其输入：",
    "proof.rel": "推导结果与论文的形式相同",
    "proof.rel_transposed": "推导结果与填充均与论文相同，且转置还原 $i$",
    "rel.1": "无零填充，单位步长",
    "rel.2": "零填充，单位步长",
    "rel.3": "半（same）填充",
    "rel.4": "全填充",
    "rel.5": "无零填充，非单位步长",
    "rel.6": "零填充，非单位步长",
    "rel.7": "无填充、单位步长卷积的转置",
    "rel.8": "零填充、单位步长卷积的转置",
    "rel.9": "半（same）填充卷积的转置",
    "rel.10": "全填充卷积的转置",
    "rel.11": r"无填充、非单位步长卷积的转置，$s \mid i - k$",
    "rel.12": r"零填充、非单位步长卷积的转置，$s \mid i + 2p - k$",
    "rel.13": r"零填充、非单位步长卷积的转置，任意 $i$：多出 $a = (i + 2p - k) \bmod s$ 个零",
    "rel.14": "膨胀卷积",
    # --- 梯度（derive gradient、latex --what gradient）---
    "title.gradient": "反向传播：卷积的梯度就是转置卷积",
    "grad.conv": "对长度为 $n$ 的输入 $x$（两端各填充 $p$ 个零）做步长为 $s$、膨胀为 $d$ 的卷积：",
    "grad.conv_size": "输出共 $i$ 个，",
    "grad.dx": r"记 $g = \partial L / \partial y$，损失的变化为 $\sum_j g_j y_j$；SymPy 对一个输入样本 $x_m$ 求导：",
    "grad.dx_pairs": "克罗内克 $\\delta$ 只保留读取 $x_m$ 的 $(j, a)$，",
    "grad.dx_tconv": (r"这正是裁剪 $b = p$ 的转置卷积把 $g_j$ 经位置 $a$ 散布到的位置："
                      r"$\partial L / \partial x = C^{\mathsf{T}} g$。"),
    "grad.op": r"$i$ 个样本的转置卷积在输出填充 $\mathit{op} = n - n_0$ 时还原 $n$（$n_0$ 为输出 $i$ 个的最小输入），",
    "grad.op_mod": "代入卷积的输出尺寸 $i$，即",
    "grad.op_values": r"代入 $n = «n»$、$k = «k»$、$s = «s»$、$p = «p»$、$d = «d»$«where»：",
    "grad.dw": "改为对卷积核位置 $w_c$ 求导，",
    "grad.dw_corr": (r"$\delta$ 只保留 $a = c$：权重梯度是填充后的输入与 $g$ 的相关，$g$ 的样本相隔 $s$"
                     r"（步长变为梯度的膨胀），每步移动 $d$（膨胀变为步长），"),
    "grad.dw_size": "该相关的 $k'$ 个输出中前 $k$ 个即各卷积核位置：",
    "grad.tconv": (r"反过来，转置卷积 $Y = C^{\mathsf{T}} u$ 把 $u_j$ 经位置 $a$ 送到 $j s + a d - p$，"
                   r"记 $G = \partial L / \partial Y$，"),
    "grad.du": "对 $u_c$ 求导保留 $j = c$：其输入梯度是 $G$ 的卷积 $C$，",
    "grad.dwt": "对 $w_c$ 求导：其权重梯度是 $G$ 与膨胀 $s$ 的 $u$ 的相关，",
    "grad.shape": (r"权重梯度与权重同形，即 PyTorch 卷积的布局 "
                   r"$(C_{\mathrm{out}}, C_{\mathrm{in}}/\mathrm{groups}, k\dots) = «shape»$。"),
    "grad.skip": "这组尺寸下略去数值检查：$C$ 有 «skipped» 个非零元，超过检查从算子三元组构建的上限 «limit»。",
    "grad.box.dx": (r"对任意 $n$、$k$、$s$、$p$、$d$，卷积的输入梯度是相同 $k$、$s$、$p$、$d$ 的转置卷积，"
                    r"其输出填充还原 $n$："),
    "grad.box.dw": "对任意 $n$、$k$、$s$、$p$、$d$，权重梯度是输入与梯度的相关：",
    "grad.box.converse": ("对任意 $n$、$k$、$s$、$p$、$d$，转置卷积的输入梯度是卷积 $C$（相同 $k$、$s$、$p$、$d$），"
                          "其权重梯度是 $G$ 与 $u$ 的相关："),
    "grad.checked": "*检验：*用 NumPy 后端在整数值的随机输入上（求和在浮点中精确，故逐项相等）：«clauses»。",
    "grad.check_failed": "**检验未通过（NOT checked）：**«clause»；«counterexample»。",
    "proof.grad_dx": (r"对所有 $n$、$k$、$s$、$p$、$d$、$j$、$a$，SymPy 求导所取的样本 $x_m$ 位于裁剪 $b = p$ "
                      r"的转置卷积的散布位置 $m = j s + a d - b$，即 $C$ 的下标规则"),
    "proof.grad_op": (r"对所有 $n$、$k$、$s$、$p$、$d$，$n - n_0 = q - s \lfloor q/s \rfloor = q \bmod s$，"
                      r"$q = n + 2p - d(k - 1) - 1$，且以它为输出填充的转置卷积有 $n$ 个输出"),
    "proof.grad_op_range": (r"对所有 $i$、$k$、$s$、$p$、$d$ 与 $0 \le t < s$，在 $n = n_0 + t$ 处输出填充为 $t$，"
                            r"卷积中向下取整的自变量为 $i - 1 + t/s$，故 $0 \le \mathit{op} < s$ 且 $n$ 的卷积为 $i$"),
    "proof.grad_dw": (r"对所有 $n$、$k$、$s$、$p$、$d$、$j$、$a$，权重梯度读取的输入是交换 $(j, s)$ 与 $(a, d)$ "
                      r"后的 $C$ 的下标规则"),
    "proof.grad_dw_size": (r"对所有 $i$、$k$、$s$、$p$、$d$ 与 $0 \le t < s$，在 $n = n_0 + t$ 处相关跨越 "
                           r"$d(k - 1) + t$ 个样本，故 $k' = k + \lfloor \mathit{op}/d \rfloor \ge k$"),
    "proof.grad_converse": (r"对所有 $k$、$s$、$p$、$d$、$j$、$a$，转置卷积的导数在卷积读取输入的位置 "
                            r"$j s + a d - p$ 读取 $G$"),
    "proof.grad_op_layer": r"对这组尺寸，公式给出的 $\mathit{op}$ 与尺寸算术（`output_padding_for`）解出的相同",
    "check.grad_conv": "卷积等于由算子三元组构建的 $C$",
    "check.grad_dx": r"$C^{\mathsf{T}} g$ 等于输出填充为 $«op»$ 的转置卷积，其尺寸为输入的尺寸 $«size»$",
    "check.grad_dw": r"由三元组得到的 $\partial L / \partial w$ 等于相关的结果",
    "check.grad_converse": (r"对 $Y = C^{\mathsf{T}} u$，$\langle G, Y \rangle$ 等于 $\langle C G, u \rangle$ 与 "
                            r"$\langle w, \mathrm{corr}(G, u) \rangle$"),
    # --- 网络的定义域（net --domain）---
    "title.net_domain": "«network» «where»接受的输入尺寸",
    "net.along": "沿第 «n» 轴",
    "net.along_all": "沿每个轴（各轴的尺寸规则与尺寸相同）",
    "net.rules": "每一层把它收到的尺寸 $n$ 映射为它输出的尺寸 $m$：",
    "net.head.layer": "层",
    "net.head.op": "运算",
    "net.head.rule": "尺寸规则",
    "net.rules.caption": "各层的尺寸规则",
    "net.ceil": "（若最后一个窗口会从右侧填充中开始，则再少 1：PyTorch 的 `ceil_mode`）",
    "net.more": "……另有 «count» 条同类的层规则。",
    "net.period": "每次除法（步长、下采样因子）沿路径相乘，各路径再取最小公倍数，因此尺寸以如下周期重复：",
    "net.classes": ("把每个尺寸写进它的剩余类。在每个类上各层的尺寸都是 $t$ 的仿射函数（证明见下），所以一个类"
                    "要么从某个 $t$ 起都能运行，要么只在一个 $t$ 运行，要么从不运行："),
    "net.classes_plain": ("没有层对尺寸做除法，所以各层的尺寸都是 $t$ 的仿射函数，尺寸要么从某个 $t$ 起都能运行，"
                          "要么只在一个 $t$ 运行，要么从不运行："),
    "net.head.residue": "$r$",
    "net.head.outcome": "结果",
    "net.classes.caption": r"剩余类 $n = «form»$，$1 \le r \le «p»$",
    "net.stop": "在 `«node»` 处停止：«reason»",
    "net.from": r"对每个 $t \ge «t»$ 都能运行",
    "net.at": "只在 $t = «t»$ 时运行",
    "net.merges": "；每个合并的输入尺寸相等（«sizes»）",
    "net.sampled": "只列出 «count» 组类中的首尾几组。",
    "net.box": "可接受的尺寸",
    "net.box.lead": "该网络恰好在以下尺寸运行",
    "net.class": r"从 $«first»$ 起每个 $n \equiv «residue» \pmod{«modulus»}$",
    "net.none": "«where»没有可运行的输入尺寸。",
    "proof.net_floor": ("对所有整数 $t$、$c$，当 $P = «p»$、$s \\in \\{«divisors»\\}$ 时 $«formula»$，因此在每个类上"
                        "各层的尺寸都是 $t$ 的仿射函数"),
    "net.checked": ("*检验.* 在 $n = «first»$ 到 $«last»$ 的每个尺寸上（最后一个阈值再加一个周期），逐层的尺寸规则"
                    "恰好接受这些尺寸。"),
    "net.not_checked": ("**检验未通过（NOT checked）：**在 $n = «first»$ 到 $«last»$ 之间，逐层的尺寸规则与这些尺寸"
                        "不一致。"),
    "why.kernel": "填充后的输入比膨胀后的卷积核（$«span»$）短",
    "why.window": "未填充的输入比池化窗口（$«k»$）短，PyTorch 的三维平均池化拒绝这种输入",
    "why.fixed": "所要求的 `output_shape` 大于该层能产生的尺寸",
    "why.multiple": "尺寸不是下采样因子 $«r»$ 的倍数",
    "why.empty": "没有剩下的输出（尺寸至少为 $1$）",
    "why.merge": "其输入尺寸不同：$«first»$ 与 $«second»$",
    "why.below": "其输入只在各层能运行的尺寸以下才相等",
    # --- Cᵀ 与 C⁻¹、C⁺ ---
    "title.inverse": r"$C^{\mathsf{T}}$ 与 $C^{-1}$、$C^{+}$",
    "inv.lead": (r"这里 $C$ 是以该层为转置的直接卷积的 $«rows» \times «cols»$ 矩阵：每个窗口 $j$（转置卷积的输入）"
                 r"一行，每个输入位置 $m$（其输出）一列，单通道。按"),
    "inv.read": r"$C$ 的下标规则，窗口经卷积核位置 $a$ 读取位置",
    "inv.gram": (r"因此 $G = C C^{\mathsf{T}}$ 是窗口 $j$ 与 $j'$ 读取同一真实位置的卷积核位置上 $w_a w_{a'}$ 之和"
                 r"（落在填充里的位置在 $C$ 中没有列）："),
    "inv.meet": r"窗口 $j$ 与 $j'$ 经位置 $a$ 与 $a'$ 读取同一位置，当且仅当",
    "inv.coprime": (r"记 $g = \gcd(s, d)$，则 $s/g$ 与 $d/g$ 互素，故 $a - a'$ 是 $s/g$ 的倍数（欧几里得引理）："
                    r"相遇的最近窗口相距 $d/g$，所用卷积核位置相距"),
    "inv.diagonal": r"因此任意两个窗口都不共享位置、$C C^{\mathsf{T}}$ 在任意尺寸与填充下都是对角矩阵，当",
    "inv.d1": r"当 $d = 1$（即 $g = 1$）时即为",
    "inv.first": r"位置随 $a$ 增大：窗口 $j$ 读取的第一个位置为",
    "inv.last": "最后一个为",
    "inv.full": (r"故第一个窗口起于 $-b$，最后一个止于 $o - 1 + e$（证明见下），所有窗口都完整（$k$ "
                 r"个卷积核位置都是真实位置）当且仅当"),
    "inv.exact": (r"此时窗口读取的位置都是真实的，所以 $C C^{\mathsf{T}}$ 是对角矩阵当且仅当最近的可能相遇的窗口 $j$ "
                  r"与 $j + d/g$ 不同时存在或不相遇："),
    "inv.norm": (r"完整窗口的对角元为 $\lVert w \rVert^{2}$；"
                 r"伸入填充的窗口真实位置较少，其对角元只是这些位置的平方和："),
    "inv.box": (r"当任意两个窗口不重叠且所有窗口都完整时，$C C^{\mathsf{T}} = \lVert w \rVert^{2} I$，"
                r"因此 $C^{\mathsf{T}} / \lVert w \rVert^{2}$ 是 $C$ 的右逆（且等于 $C^{+}$）："),
    "inv.square": r"$C$ 为 $i \times o$，且",
    "inv.inverse": (r"所有窗口都完整时每一项都 $\ge 0$，所以 $C$ 为方阵、"
                    r"$C^{\mathsf{T}} / \lVert w \rVert^{2} = C^{-1}$ 仅当 $k = 1$、$b = e = 0$ 且 $s = 1$"
                    r"（或只有一个窗口）：此时 $C = w_0 I$。"),
    "inv.rank": (r"否则 $\operatorname{rank} C \le \min(i, o)$：$C^{+} C$ 是到 $C$ 行空间的正交投影，零空间的 "
                 r"$o - \operatorname{rank} C$ 个方向被映射为 $0$，任何重建都无法恢复。"),
    "inv.layer": (r"对这一层«where»：$k = «k»$，$s = «s»$，$d = «d»$，$g = «g»$，故 "
                  r"$(k - 1) g = «product» «relation» s = «s»$；«windows» 个窗口中有 «full» 个完整，"
                  r"每个输入位置至多被 «shared» 个窗口读取。"),
    "inv.is_diagonal": r"所以 $C C^{\mathsf{T}}$ 是对角矩阵«padding_only»。",
    "inv.padding_only": "，因为可能相遇的窗口只在填充中相遇",
    "inv.not_diagonal": r"所以窗口重叠，$C C^{\mathsf{T}}$ 不是对角矩阵。",
    "inv.is_right": (r"所有窗口都完整且互不重叠：$C^{\mathsf{T}} / \lVert w \rVert^{2}$ 是右逆而不是逆，因为 $C$ 为 "
                     r"$«rows» \times «cols»$。"),
    "inv.is_inverse": (r"所有窗口都完整、互不重叠且 $C$ 为方阵（$«rows» \times «cols»$）："
                       r"$C^{\mathsf{T}} / \lVert w \rVert^{2} = C^{-1}$。"),
    "inv.no_right": r"所以 $C^{\mathsf{T}} / \lVert w \rVert^{2}$ 不是右逆：«why»。",
    "inv.why.overlap": "窗口重叠",
    "inv.why.partial": (r"伸入填充的窗口卷积核位置较少，$C C^{\mathsf{T}}$ 的对角元不相等，"
                        r"$C^{+} = C^{\mathsf{T}} (C C^{\mathsf{T}})^{-1}$ 改为逐行缩放"),
    "inv.gram_skipped": (r"这组尺寸的 $C C^{\mathsf{T}}$ 有 «terms» 个乘积，超过 SymPy 能快速展开的数量（«limit»），"
                         r"因此没有构造它，上述结论由 $C$ 的列计数得出。"),
    "inv.measured": (r"*以下为测量值*，并非证明：用 NumPy、随机种子 «seed»、缩放到 $\lVert w \rVert = 1$ 的随机卷积核"
                     r"（故 $C^{\mathsf{T}}$ 即缩放后的转置）与随机输入 $u$，按下标规则构造 $C$，$C^{+}$ 由 "
                     r"`numpy.linalg.pinv` 求得："),
    "inv.head.quantity": "量",
    "inv.head.value": "测量值",
    "inv.m_rank": r"$\operatorname{rank} C$（共 «cols» 列）",
    "inv.m_null": "零空间的维数",
    "inv.m_transpose": r"$\lVert C^{\mathsf{T}} C u - u \rVert / \lVert u \rVert$",
    "inv.m_pinv": r"$\lVert C^{+} C u - u \rVert / \lVert u \rVert$",
    "inv.m_lost": r"$u$ 在零空间中的部分（由奇异值分解求得）",
    "inv.caption": "由 $C u$ 重建：测量值",
    "inv.said": (r"$C C^{\mathsf{T}}$ 的结构是*证明*的：对任意尺寸以 $C$ 的下标映射的恒等式证明，对这一层由 $C$ "
                 r"的元素构造 $C C^{\mathsf{T}}$ 验证；秩与误差是*测量*的，只对所抽取的卷积核与输入成立。"),
    "proof.inv_meet": (r"对所有 $i$、$k$、$s$、$d$、$b$、$j$、$j'$、$a$、$a'$，窗口 $j$ 与 $j'$ 读取同一位置当且仅当 "
                       r"$(j - j') s + (a - a') d = 0$"),
    "proof.inv_shift": (r"对所有 $k$、$s$、$d$、$b$、$j$、$a$ 与整除 $s$、$d$ 的 $g$，窗口 $j + d/g$ 经位置 $a$ "
                        r"读取的，正是窗口 $j$ 经位置 $a + s/g$ 读取的位置"),
    "proof.inv_ends": (r"对所有 $i$、$k$、$s$、$d$、$b$、$e$，第一个窗口的第一个位置为 $-b$，"
                       r"最后一个窗口的最后一个位置为 $o - 1 + e$"),
    "proof.inv_square": r"对所有 $i$、$k$、$s$、$d$、$b$、$e$，$o - i = (i - 1)(s - 1) + d(k - 1) - b - e$",
    "proof.inv_layer_diagonal": r"对这一层 $C C^{\mathsf{T}}$ 是对角矩阵，每个对角元是其窗口真实位置上权重的平方和",
    "proof.inv_layer_norms": r"对这一层 $C C^{\mathsf{T}}$ 的对角元是各窗口真实位置上权重的平方和",
}

CATALOGUES = {"en": EN, "zh": ZH}


def check_language(lang: str) -> str:
    """``en`` or ``zh``; anything else is refused in one sentence naming the supported ones."""
    if lang not in CATALOGUES:
        supported = " or ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
        raise ParameterError(f"language {lang!r} is not supported, the notes are written in {supported}; pick "
                             f"{' or '.join(LANGUAGES)}")
    return lang


def phrase(lang: str, key: str, **values) -> str:
    """The catalogue's entry ``key`` in ``lang``, each ``«name»`` replaced by ``values[name]``."""
    template = CATALOGUES[check_language(lang)][key]
    return re.sub("«([a-z_]+)»", lambda m: str(values[m.group(1)]), template)

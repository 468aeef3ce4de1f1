"""Pictures of a layer, from C's triples: frames for animations and the explorer (:mod:`.frames`), the
conv_arithmetic gallery (:mod:`.gallery`), drawn animations (:mod:`.animate`) and overlap plots
(:mod:`.plots`).  matplotlib and Pillow are loaded only when something is drawn.
"""

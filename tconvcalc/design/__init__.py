"""Choosing layers: the planner's search and ranking (:mod:`.planner`), kernel overlap (:mod:`.overlap`),
ways to upsample side by side (:mod:`.compare`) and decoders that mirror an encoder (:mod:`.mirror`).

All of it asks the model (:mod:`tconvcalc.model`); NumPy is loaded only where a design is measured.
"""

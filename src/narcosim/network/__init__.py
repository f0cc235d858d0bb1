"""Network analytics: the cartels' alliance network, their organisations and the supply graph.

:mod:`narcosim.network.build` turns the store and a run folder into NetworkX graphs,
:mod:`narcosim.network.graphio` writes and reads them (GraphML, GEXF, CSV, JSON),
:mod:`narcosim.network.metrics` computes centralities with igraph (NetworkX as the reference),
:mod:`narcosim.network.keyplayer` finds Borgatti's key-player sets and
:mod:`narcosim.network.disrupt` measures the damage of removing actors.
"""

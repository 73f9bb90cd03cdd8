"""Visualisation: 2D overlays, 3D plots and contact sheets."""

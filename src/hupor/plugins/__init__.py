"""Reasoning plug-ins for 2D bottom-up methods (HUPOR supplement §1.2–1.3): HigherHRNet with an added
PAF branch (``higherhrnet.py`` on the HRNet backbone ``hrnet.py``), configs in ``config.py``
(``model.method: higherhrnet``, ``model.higherhrnet``). docs/networks.md.
"""

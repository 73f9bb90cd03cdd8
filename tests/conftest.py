import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # shared test helpers (tests/poses_doc.py)

torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)

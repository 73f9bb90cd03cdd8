"""--init's architecture check: loss and target keys may differ, network keys may not."""

import dataclasses

from hupor.nets.config import DetectorConfig, ReasonerConfig
from hupor.train.run import same_architecture


def test_loss_keys_may_differ_network_keys_may_not():
    a = ReasonerConfig()
    assert same_architecture(a, dataclasses.replace(a, student_decode=1.0, omega_max=5.0, supervised_blocks=(4,),
                                                    teacher_input="occ"))
    assert not same_architecture(a, dataclasses.replace(a, widths=(16, 24, 32, 48)))
    assert not same_architecture(a, dataclasses.replace(a, image_input=True))
    assert not same_architecture(a, dataclasses.replace(a, kind="hg"))
    d = DetectorConfig()
    assert same_architecture(d, d) and not same_architecture(d, dataclasses.replace(d, stages=d.stages + 1))

"""Plain-text tables of evaluation results (the CLI prints them; library code returns strings)."""

from __future__ import annotations

from .mupots import JOINT_GROUPS, MupotsMetrics, MupotsResult

MODE_TITLES = {"all": "all annotated people (official EVALUATION_MODE 0; undetected people score 0)",
               "matched": "matched people only (official EVALUATION_MODE 1)"}


def _f(v, width: int = 7, digits: int = 1) -> str:
    return f"{'-':>{width}}" if v is None else f"{v:>{width}.{digits}f}"


def _row(name: str, m: MupotsMetrics, with_mpjpe: bool) -> str:
    s = f"{name:<26}{m.instances:>7}{m.matched:>8}{_f(m.pck)}{_f(m.auc)}{_f(m.pck_vis, 8)}{_f(m.pck_occ, 8)}"
    if with_mpjpe:
        s += f"{_f(m.mpjpe, 8)}{_f(m.mpjpe_vis, 8)}{_f(m.mpjpe_occ, 8)}"
    return s


def mupots_table(res: MupotsResult) -> str:
    setting = "relative (root-aligned, PCK_rel)" if res.relative else "absolute (camera frame, PCK_abs)"
    lines = [f"MuPoTS-3D  variant {res.variant}  setting {setting}",
             "bone lengths mapped to the GT (univ_annot3) skeleton; 40-px greedy 2D matching; "
             "PCK@150 mm (e < 150), AUC over 0:5:150; PCK_vis/PCK_occ: masked script (e <= 150)",
             f"frames {res.frames}, annotated people {res.annotated_people}"]
    for mode in ("all", "matched"):
        mr = res.modes[mode]
        mp = mode == "matched"
        head = f"{'sequence':<26}{'people':>7}{'matched':>8}{'PCK':>7}{'AUC':>7}{'PCK_vis':>8}{'PCK_occ':>8}"
        if mp:
            head += f"{'MPJPE':>8}{'MPJ_vis':>8}{'MPJ_occ':>8}"
        lines += ["", f"mode: {MODE_TITLES[mode]}", head]
        lines += [_row(name, m, mp) for name, m in mr.sequences.items()]
        lines.append(_row("mean over sequences", mr.sequence_mean, mp))
        lines.append(_row("pooled over people", mr.pooled, mp))
        g = mr.sequence_mean.groups
        if g:
            lines.append("groups (mean over sequences): " +
                         "  ".join(f"{k} {g[k]:.1f}" for k in JOINT_GROUPS if k in g))
        if mr.pck15_smap_pooled is not None:
            lines.append(f"SMAP 'PCK15' (15 joints incl. pelvis, e <= 150, pooled): {mr.pck15_smap_pooled:.1f}")
        if res.ordinal_depth:
            od = res.ordinal_depth[mode]["sequence_mean"]
            lines.append(f"ordinal depth PCOD (SMAP cal_ordinal, mean over sequences): "
                         f"{'-' if od is None else f'{100 * od:.1f}'}")
    lines += [f"note: {n}" for n in res.notes]
    return "\n".join(lines)


def h36m_table(res) -> str:
    lines = ["Human3.6M  MPJPE (pelvis-aligned) and PA-MPJPE (similarity Procrustes with scale), mm",
             f"joints evaluated: {len(res.joints)} ({', '.join(res.joints)})",
             f"{'action':<16}{'frames':>8}{'MPJPE':>9}{'PA-MPJPE':>10}"]
    for a, v in res.actions.items():
        lines.append(f"{a:<16}{v['frames']:>8}{v['mpjpe']:>9.1f}{v['pa_mpjpe']:>10.1f}")
    lines.append(f"{'mean of actions':<16}{res.frames:>8}{res.action_mean['mpjpe']:>9.1f}"
                 f"{res.action_mean['pa_mpjpe']:>10.1f}")
    lines.append(f"{'mean of frames':<16}{res.frames:>8}{res.frame_mean['mpjpe']:>9.1f}"
                 f"{res.frame_mean['pa_mpjpe']:>10.1f}")
    lines += [f"note: {n}" for n in res.notes]
    return "\n".join(lines)


def ap_table(kind: str, stats: dict, notes=()) -> str:
    title = {"coco": "COCO keypoints (OKS AP, faster-coco-eval 'keypoints')",
             "crowdpose": "CrowdPose (OKS AP, faster-coco-eval 'keypoints_crowd')"}[kind]
    lines = [title] + [f"{k:<10}{v:>8.4f}" for k, v in stats.items()]
    return "\n".join(lines + [f"note: {n}" for n in notes])

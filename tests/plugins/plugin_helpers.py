"""Shared by the plug-in network tests."""

import torch


def overfit_ratio(net, loss_fn, steps: int = 80, lr: float = 3e-3) -> float:
    """Train ``net`` on one fixed batch (``loss_fn(net)`` → scalar) with Adam; final / first loss."""
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    first = loss_fn(net).item()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(net)
        loss.backward()
        opt.step()
    return loss.item() / first

"""Module weights as plain state: training checkpoints and the pickled fit.

A checkpoint is a copy of every tensor of the networks on their own device,
cheap enough to take once per epoch. The pickled form is NumPy arrays only,
so a model fitted on a GPU loads on a machine without one and ``skops`` can
check every type in the file.
"""

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

Checkpoint = dict[str, dict[str, torch.Tensor]]


def checkpoint(modules: Mapping[str, nn.Module]) -> Checkpoint:
    """Copies of all weights of ``modules``, by module name."""
    return {
        name: {key: t.detach().clone() for key, t in module.state_dict().items()}
        for name, module in modules.items()
    }


def restore(modules: Mapping[str, nn.Module], saved: Checkpoint) -> None:
    """Put the weights of a :func:`checkpoint` back into ``modules`` in place."""
    with torch.no_grad():
        for name, module in modules.items():
            module.load_state_dict(saved[name])


def optimizer_states(
    optimizers: Mapping[str, torch.optim.Optimizer],
) -> dict[str, dict]:
    """Copies of the optimisers' states, which ``state_dict`` only references."""
    return {name: copy.deepcopy(o.state_dict()) for name, o in optimizers.items()}


def load_optimizer_states(
    optimizers: Mapping[str, torch.optim.Optimizer], states: Mapping[str, dict]
) -> None:
    """Put the states of :func:`optimizer_states` back, in place."""
    for name, optimizer in optimizers.items():
        optimizer.load_state_dict(states[name])


def load_arrays(
    module: nn.Module, arrays: Mapping[str, np.ndarray], device: torch.device
) -> nn.Module:
    """Give ``module`` (built on the meta device) the weights ``arrays``."""
    tensors = {key: torch.as_tensor(a, device=device) for key, a in arrays.items()}
    module.load_state_dict(tensors, assign=True)
    return module.eval()


def tree_to_arrays(tree: Any) -> Any:
    """A nest of dicts and lists (a state dict) with its tensors as host arrays."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu().numpy()
    if isinstance(tree, dict):
        return {key: tree_to_arrays(value) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(tree_to_arrays(value) for value in tree)
    return tree


def tree_from_arrays(tree: Any) -> Any:
    """The inverse of :func:`tree_to_arrays`; tensors on the CPU."""
    if isinstance(tree, np.ndarray):
        return torch.from_numpy(tree.copy())
    if isinstance(tree, dict):
        return {key: tree_from_arrays(value) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(tree_from_arrays(value) for value in tree)
    return tree

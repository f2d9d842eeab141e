"""The modified ReLU backward of guided backprop, deconvnet and Grad-CAM's backprop modifiers, as a
TorchScript module that ConvLens loads beside a model's .pt (its "relu-backward" sibling).

A modified backward is not the gradient of any traced module: at every ReLU call the backward
signal g is replaced by a rule (guided backprop, Springenberg et al. 2015: g * [z > 0] * [g > 0];
deconvnet, Zeiler & Fergus 2014: relu(g); plain: g * [z > 0], the ordinary gradient). Here the
model is traced with torch.fx, every ReLU call (an nn.ReLU module, torch.relu, F.relu, x.relu();
a module reused by several calls counts once per call) is replaced by a cut,
relu(z).detach().requires_grad_(), so the graph falls into segments whose inputs are the input x,
the feature-map `delta` and the cuts. The scripted forward then walks the cuts in reverse call
order (a topological order), calling torch.autograd.grad on one segment at a time and applying
the rule at each cut. This is the same computation as Captum's GuidedBackprop / Deconvolution
(full backward hooks on the ReLU modules), which the exporters check it against.

forward(x, delta, grad_logits, rule) -> (logits, d/dx, d/d delta, feature_map), with rule an int64
scalar tensor: 0 plain, 1 guided, 2 deconvnet (RULES). Other nonlinearities (max-pool, GELU, SiLU,
...) keep their ordinary gradient, as with Captum's hooks, which only see nn.ReLU.
"""
from typing import List, Optional

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

RULES = {"plain": 0, "guided": 1, "deconvnet": 2}
SUFFIX = ".relu-backward.pt"  # model.pt -> model.relu-backward.pt (ConvLens looks for this name)


def cut(z: torch.Tensor) -> torch.Tensor:
    """A ReLU whose output is a new leaf: the graph ends here and the walk applies the rule."""
    return torch.relu(z).detach().requires_grad_(True)


def is_relu(node, modules):
    if node.op == "call_module":
        return type(modules[node.target]) is nn.ReLU
    if node.op == "call_function":
        return node.target in (torch.relu, torch.relu_, F.relu)
    if node.op == "call_method":
        return node.target in ("relu", "relu_")
    return False


def cut_relus(gm):
    """Rewrites a GraphModule whose forward(x, delta) returns (logits, ..., feature_map) as its
    first and last outputs so that it returns (logits, feature_map, [z_i], [cut_i]), one pair per
    ReLU call. Returns the number of ReLU calls."""
    modules = dict(gm.named_modules())
    graph = gm.graph
    zs, cuts = [], []
    for node in list(graph.nodes):
        if not is_relu(node, modules):
            continue
        z = node.args[0] if node.args else node.kwargs["input"]
        with graph.inserting_after(node):
            c = graph.call_function(cut, (z,))
        node.replace_all_uses_with(c)
        graph.erase_node(node)
        zs.append(z)
        cuts.append(c)
    output = next(n for n in graph.nodes if n.op == "output")
    outs = output.args[0]
    output.args = ((outs[0], outs[-1], zs, cuts),)
    graph.lint()
    gm.recompile()
    return len(cuts)


class ReluBackward(nn.Module):
    """forward(x, delta, grad_logits, rule) -> (logits, input gradient, delta gradient, feature map)
    of the vector-Jacobian product grad_logits . d logits, with the rule applied at every ReLU."""

    def __init__(self, segmented):
        super().__init__()
        self.segmented = segmented

    def forward(self, x, delta, grad_logits, rule):
        r = int(rule.item())
        x = x.detach().requires_grad_(True)
        delta = delta.detach().requires_grad_(True)
        logits, feature_map, zs, cuts = self.segmented(x, delta)
        gx = torch.zeros_like(x)
        gd = torch.zeros_like(delta)
        ga: List[torch.Tensor] = [torch.zeros_like(c) for c in cuts]
        inputs: List[torch.Tensor] = [x, delta]
        for c in cuts:
            inputs.append(c)
        grads = torch.autograd.grad([logits], inputs,
                                    torch.jit.annotate(List[Optional[torch.Tensor]], [grad_logits]),
                                    retain_graph=True, allow_unused=True)
        gx, gd, ga = _accumulate(grads, gx, gd, ga)
        n = len(cuts)
        for k in range(n):
            i = n - 1 - k
            g = ga[i]
            z = zs[i]
            if r == 1:
                gz = torch.relu(g) * (z > 0).to(g.dtype)
            elif r == 2:
                gz = torch.relu(g)
            else:
                gz = g * (z > 0).to(g.dtype)
            if not z.requires_grad:
                continue  # a ReLU of constants: nothing upstream to reach
            grads = torch.autograd.grad([z], inputs[:i + 2],
                                        torch.jit.annotate(List[Optional[torch.Tensor]], [gz]),
                                        retain_graph=True, allow_unused=True)
            gx, gd, ga = _accumulate(grads, gx, gd, ga)
        return logits.detach(), gx, gd, feature_map.detach()


def _accumulate(grads: List[Optional[torch.Tensor]], gx: torch.Tensor, gd: torch.Tensor,
                ga: List[torch.Tensor]):
    g0 = grads[0]
    if g0 is not None:
        gx = gx + g0
    g1 = grads[1]
    if g1 is not None:
        gd = gd + g1
    for j in range(2, len(grads)):
        gj = grads[j]
        if gj is not None:
            ga[j - 2] = ga[j - 2] + gj
    return gx, gd, ga


class _TapTracer(torch.fx.Tracer):
    """Traces root.model(x) and adds delta to the output of module `layer` (as export_model's
    forward hook does), keeping that sum as the feature map."""

    def __init__(self, layer):
        super().__init__()
        self.layer = "model." + layer
        self.delta = None
        self.feature_map = None

    def call_module(self, m, forward, args, kwargs):
        out = super().call_module(m, forward, args, kwargs)
        if self.path_of_module(m) == self.layer:
            out = out + self.delta
            self.feature_map = out
        return out


class _Tapped(nn.Module):
    def __init__(self, model, tracer):
        super().__init__()
        self.model = model
        self.__dict__["_tracer"] = tracer  # not a submodule

    def forward(self, x, delta):
        self._tracer.delta = delta
        logits = self.model(x)
        return logits, self._tracer.feature_map


def traced(model, layer=None):
    """torch.fx GraphModule of forward(x, delta) -> (logits, ..., feature_map): `layer` names the
    module whose output gets delta (export_model's models); None when model.forward(x, delta)
    already adds it (the test fixture). Raises whatever torch.fx raises on untraceable code."""
    if layer is None:
        return torch.fx.symbolic_trace(model)
    tracer = _TapTracer(layer)
    root = _Tapped(model, tracer)
    graph = tracer.trace(root)
    if tracer.feature_map is None:
        raise ValueError("torch.fx did not reach layer %s" % layer)
    return torch.fx.GraphModule(root, graph)


def relu_modules(gm):
    """The reference's model: the same traced graph with every ReLU call made a call of its own
    nn.ReLU module (not in place), so that backward hooks see each call, functional ones too.
    Returns the number of ReLU calls."""
    modules = dict(gm.named_modules())
    calls = 0
    for node in list(gm.graph.nodes):
        if not is_relu(node, modules):
            continue
        z = node.args[0] if node.args else node.kwargs["input"]
        name = "convlens_relu_%d" % calls
        gm.add_submodule(name, nn.ReLU())
        with gm.graph.inserting_after(node):
            call = gm.graph.call_module(name, (z,))
        node.replace_all_uses_with(call)
        gm.graph.erase_node(node)
        calls += 1
    gm.graph.lint()
    gm.recompile()
    return calls


def segmented_module(model, layer=None):
    """The scripted ReluBackward of an eager model: `layer` names the module whose output gets
    delta (export_model's models); None when model.forward(x, delta) already adds it and returns
    (logits, ..., feature_map) (the test fixture). Returns (script module, number of ReLU calls).
    Raises whatever torch.fx raises when the model cannot be traced."""
    gm = traced(model, layer)
    relus = cut_relus(gm)
    return torch.jit.script(ReluBackward(gm).eval()), relus


def hooked(model, x, delta, targets, rule):
    """The reference: Captum's convention, full backward hooks on every nn.ReLU module of a
    module whose forward(x, delta) returns the logits first (relu_modules makes every ReLU call
    one; inplace switched off, as hooks need), returning (d/dx, d/d delta) of the summed target
    logits."""
    def hook(module, grad_input, grad_output):
        if rule == "guided":
            return (F.relu(grad_input[0]),)
        if rule == "deconvnet":
            return (F.relu(grad_output[0]),)
        return None

    handles = []
    for m in model.modules():
        if type(m) is nn.ReLU:
            m.inplace = False
            handles.append(m.register_full_backward_hook(hook))
    try:
        x = x.clone().requires_grad_(True)
        delta = delta.clone().requires_grad_(True)
        logits = model(x, delta)[0]
        logits[torch.arange(x.shape[0]), targets].sum().backward()
    finally:
        for h in handles:
            h.remove()
    return x.grad.detach(), delta.grad.detach()


def run(module, x, delta, targets, rule, classes):
    """Calls the scripted module as ConvLens does: one-hot grad_logits of the targets."""
    grad_logits = torch.zeros(x.shape[0], classes)
    grad_logits[torch.arange(x.shape[0]), targets] = 1.0
    return module(x, delta, grad_logits, torch.tensor(RULES[rule], dtype=torch.int64))

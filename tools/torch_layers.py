"""The `layers` list of a ConvLens model description, recorded from a PyTorch module.

TorchScript modules do not expose their module tree through DJL, so the scripts that export a
.pt also write, in its sidecar JSON, each leaf module's name, class and per-image output shape
(from forward hooks on one forward pass, in call order). ConvLens's model summary uses them.
"""
import torch


def leaf_layers(model, *example):
    """[{"name", "type", "outputShape"}] for every leaf module, in the order forward calls them
    (a module called twice, like a shared ReLU, is listed once, at its first call)."""
    seen, layers, hooks = set(), [], []

    def hook_for(name):
        def hook(module, inputs, output):
            if name not in seen and isinstance(output, torch.Tensor):
                seen.add(name)
                layers.append({"name": name, "type": type(module).__name__,
                               "outputShape": list(output.shape[1:])})
        return hook

    for name, module in model.named_modules():
        if name and not any(True for _ in module.children()):
            hooks.append(module.register_forward_hook(hook_for(name)))
    try:
        with torch.no_grad():
            model(*example)
    finally:
        for h in hooks:
            h.remove()
    return layers


def feature_map_shape(model, index, *example):
    """The per-image shape [K, h, w] of output `index` (the feature map) of one no-grad forward
    on `example`, at the size the model is exported at: the sidecar's `outputs.featureMapShape`.
    ConvLens checks the declared `input` size against it when it loads the model."""
    with torch.no_grad():
        output = model(*example)[index]
    assert output.dim() == 4, "output %d is not N x K x h x w: %s" % (index, tuple(output.shape))
    return list(output.shape[1:])

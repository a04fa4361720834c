"""Handlers of Hugging Face values: transformers models, peft models and tokenizers.

A transformers model is its class, its configuration (JSON) and its state dict: it is
rebuilt from the configuration by its own class (never through ``trust_remote_code``), then
given the saved weights. A peft model is its base model's class and configuration, its
adapters' configurations and its whole state dict (base and adapter weights). A
``tokenizers.Tokenizer`` is the JSON it writes with ``to_str``. These handlers *own* the
tensors of the state dict: a reference to one of them (an optimizer's parameter) is the
parameter of the rebuilt model.
"""

import enum
import sys

from ._allowlist import class_name
from ._torch import tensor_data
from ._walker import Handler, invalid


def _is(value, module, name):
    library = sys.modules.get(module)
    return library is not None and isinstance(value, getattr(library, name))


class TokenizerHandler(Handler):
    tag = "tokenizers.tokenizer"
    shared = True

    def handles(self, value):
        return _is(value, "tokenizers", "Tokenizer")

    def encode(self, value, encoder, path):
        return {"json": value.to_str()}

    def decode(self, node, decoder, path):
        from ..utils._optional import import_optional

        tokenizers = import_optional("tokenizers", purpose="loading this model")
        try:
            return tokenizers.Tokenizer.from_str(node["json"])
        except Exception as exc:  # the Rust parser raises Exception
            raise invalid(path, f"the tokenizer cannot be read ({exc}).") from exc


class TransformersModelHandler(Handler):
    tag = "transformers.model"
    shared = True
    owner = True

    def handles(self, value):
        return _is(value, "transformers", "PreTrainedModel")

    def encode(self, value, encoder, path):
        return {"class": class_name(type(value)),
                "config": _config_node(value.config, encoder, path),
                "training": value.training,
                "state": _state_nodes(value, encoder, path)}

    def decode(self, node, decoder, path):
        model = _build_model(node, decoder, path)
        _load_state(model, node, decoder, path)
        return model


class PeftModelHandler(Handler):
    """A peft model: the base model rebuilt, wrapped with its adapters, given its weights."""

    tag = "peft.model"
    shared = True
    owner = True

    def handles(self, value):
        return _is(value, "peft", "PeftModel")

    def encode(self, value, encoder, path):
        base = value.get_base_model()
        adapters = {
            name: {"class": class_name(type(config)),
                   "values": encoder.encode(_plain_config(config), f"{path}.{name}")}
            for name, config in value.peft_config.items()
        }
        return {"class": class_name(type(value)),
                "base": {"class": class_name(type(base)),
                         "config": _config_node(base.config, encoder, path)},
                "adapters": adapters, "active_adapter": value.active_adapter,
                "training": value.training, "state": _state_nodes(value, encoder, path)}

    def decode(self, node, decoder, path):
        from ..llm._model import wrap_with_adapters

        cls = decoder.resolver.resolve(node["class"], "peft.model", path)
        configs = [(name, _adapter_config(adapter, decoder, f"{path}.{name}"))
                   for name, adapter in node["adapters"].items()]
        if not configs:
            raise invalid(path, "a peft model needs at least one adapter.")
        model = wrap_with_adapters(_build_model(node["base"], decoder, path), configs[0][1],
                                   adapter_name=configs[0][0])
        if type(model) is not cls:
            raise invalid(path, f"its adapters make a {class_name(type(model))}, not a "
                          f"{node['class']}.")
        for name, config in configs[1:]:
            model.add_adapter(name, config)
        model.set_adapter(node["active_adapter"])
        _load_state(model, node, decoder, path)
        return model


def _config_node(config, encoder, path):
    return {"class": class_name(type(config)),
            "values": encoder.encode(config.to_dict(), f"{path}.config")}


def _plain_config(config):
    """A peft configuration as a dict, enumerations as their values."""
    return {key: value.value if isinstance(value, enum.Enum) else value
            for key, value in config.to_dict().items()}


def _adapter_config(node, decoder, path):
    cls = decoder.resolver.resolve(node["class"], "peft.config", path)
    values = decoder.decode(node["values"], path)
    if values.get("megatron_config") is not None:
        # peft would import the module named by megatron_core: not from a file.
        raise invalid(path, "adapters for Megatron layers cannot be loaded.")
    return cls(**values)


def _build_model(node, decoder, path):
    """A transformers model of the node's class, built from its configuration (with fresh
    weights, drawn without touching torch's global generator)."""
    from ._torch import _import_torch

    torch = _import_torch()
    config_class = decoder.resolver.resolve(node["config"]["class"], "transformers.config", path)
    config = config_class.from_dict(decoder.decode(node["config"]["values"], path))
    cls = decoder.resolver.resolve(node["class"], "transformers.model", path)
    with torch.random.fork_rng(devices=[]):
        return cls(config)


def _state_nodes(model, encoder, path):
    return {name: encoder.encode(tensor, f"{path}.{name}")
            for name, tensor in model.state_dict(keep_vars=True).items()}


def _load_state(model, node, decoder, path):
    """Give ``model`` the saved weights, dtypes, devices, ``requires_grad`` flags and mode,
    and make its parameters and buffers the values of the shared nodes that wrote them."""
    from ..utils._persistence import loadable_device

    tensors, tensor_nodes, defined = {}, {}, {}
    for name, entry in node["state"].items():
        tensor_node = decoder.shared_node(entry, f"{path}.{name}")
        if not isinstance(tensor_node, dict) or tensor_node.get("$type") != "torch.tensor":
            raise invalid(f"{path}.{name}", "the state of a model holds tensors only.")
        tensors[name] = tensor_data(tensor_node, decoder, f"{path}.{name}")
        tensor_nodes[name] = tensor_node
        if "$id" in entry:
            defined[name] = entry
    floating = [tensor.dtype for tensor in tensors.values() if tensor.is_floating_point()]
    if floating:
        model.to(dtype=floating[0])
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        raise invalid(path, f"the saved tensors do not fit the model ({exc}).") from exc
    devices = [tensor_node["device"] for tensor_node in tensor_nodes.values()]
    if devices:
        model.to(loadable_device(devices[0]))
    model.train(node["training"])
    parameters = dict(model.named_parameters(remove_duplicate=False))
    for name, tensor_node in tensor_nodes.items():
        if name in parameters:
            parameters[name].requires_grad_(tensor_node["requires_grad"])
    for name, entry in defined.items():
        decoder.remember(entry, parameters[name] if name in parameters
                         else model.get_buffer(name))


HANDLERS = [TokenizerHandler(), PeftModelHandler(), TransformersModelHandler()]

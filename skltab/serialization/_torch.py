"""Handlers of torch values: tensors, dtypes, devices, sizes, modules, optimizers and the
activation functions modules hold.

Tensors are stored from CPU copies with the device they lived on, and loaded onto that
device when this machine has it, else onto the CPU. A module is rebuilt without calling its
``__init__``: torch's base ``Module.__init__`` gives it empty hooks, then its attributes are
restored (parameters, buffers and submodules included), as torch's own unpickling does. An
optimizer is rebuilt over the parameters of the rebuilt modules, with its state.
"""

import inspect
import sys
import types

from ..utils._persistence import loadable_device
from ._allowlist import class_name, is_nameable
from ._walker import Handler, invalid, is_plain_dict, unsupported

#: Attributes of a module written by name, so that tensor keys read like state-dict keys.
_NAMED_CONTAINERS = ("_parameters", "_buffers", "_modules")


def _torch():
    return sys.modules.get("torch")


def _is(value, *names):
    torch = _torch()
    if torch is None:
        return False
    for name in names:
        value_type = torch
        for part in name.split("."):
            value_type = getattr(value_type, part)
        if isinstance(value, value_type):
            return True
    return False


class TensorHandler(Handler):
    tag = "torch.tensor"
    shared = True

    def handles(self, value):
        return _is(value, "Tensor")

    def encode(self, value, encoder, path):
        torch = _torch()
        if value.layout != torch.strided or value.is_quantized or value.is_meta:
            raise unsupported(value, path, f"{value.layout} or quantized tensors are not "
                              "supported")
        data = value.detach().to("cpu", copy=True).contiguous()
        return {"key": encoder.add_tensor(data, path), "dtype": _dtype_name(value.dtype),
                "shape": list(value.shape), "device": str(value.device),
                "parameter": isinstance(value, torch.nn.Parameter),
                "requires_grad": value.requires_grad}

    def decode(self, node, decoder, path):
        torch = _import_torch()
        tensor = tensor_data(node, decoder, path).to(loadable_device(node["device"]))
        if node["parameter"]:
            return torch.nn.Parameter(tensor, requires_grad=node["requires_grad"])
        return tensor.requires_grad_(node["requires_grad"])


def tensor_data(node, decoder, path):
    """The CPU tensor of a tensor node, checked against its dtype and shape."""
    tensor = decoder.store.tensor(node["key"], node["shape"], path)
    if _dtype_name(tensor.dtype) != node["dtype"]:
        raise invalid(path, f"the tensor {node['key']!r} holds {tensor.dtype}, where the model "
                      f"expects {node['dtype']}.")
    return tensor


def _dtype_name(dtype):
    return str(dtype).removeprefix("torch.")


class DtypeHandler(Handler):
    tag = "torch.dtype"

    def handles(self, value):
        return _is(value, "dtype")

    def encode(self, value, encoder, path):
        return {"name": _dtype_name(value)}

    def decode(self, node, decoder, path):
        torch = _import_torch()
        dtype = getattr(torch, node["name"], None)
        if not isinstance(dtype, torch.dtype):
            raise invalid(path, f"{node['name']!r} is not a torch dtype.")
        return dtype


class DeviceHandler(Handler):
    tag = "torch.device"

    def handles(self, value):
        return _is(value, "device")

    def encode(self, value, encoder, path):
        return {"name": str(value)}

    def decode(self, node, decoder, path):
        return _import_torch().device(loadable_device(node["name"]))


class SizeHandler(Handler):
    tag = "torch.size"

    def handles(self, value):
        return _is(value, "Size")

    def encode(self, value, encoder, path):
        return {"items": list(value)}

    def decode(self, node, decoder, path):
        return _import_torch().Size(node["items"])


class FunctionHandler(Handler):
    """Functions of ``torch.nn.functional`` (a module's activation), by name."""

    tag = "torch.function"

    def handles(self, value):
        if _torch() is None or not isinstance(value, _FUNCTION_TYPES):
            return False
        return getattr(_functional(), getattr(value, "__name__", ""), None) is value

    def encode(self, value, encoder, path):
        return {"name": value.__name__}

    def decode(self, node, decoder, path):
        _import_torch()
        function = getattr(_functional(), node["name"], None)
        if node["name"].startswith("_") or not isinstance(function, _FUNCTION_TYPES):
            raise invalid(path, f"{node['name']!r} is not a function of torch.nn.functional.")
        return function


_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType)


def _functional():
    import torch.nn.functional

    return torch.nn.functional


class ModuleHandler(Handler):
    """Modules of allowed classes (skltab's own and torch's): class and attributes."""

    tag = "torch.module"
    shared = True

    def handles(self, value):
        return _is(value, "nn.Module")

    def encode(self, value, encoder, path):
        if not is_nameable(type(value)):
            raise unsupported(value, path, "its class is defined inside a function")
        state = {}
        for key, item in vars(value).items():
            if "hook" in key:
                if item:
                    raise unsupported(value, path, f"it has hooks ({key}), which are code")
                continue
            if key in _NAMED_CONTAINERS and is_plain_dict(item):
                state[key] = {name: encoder.encode(member, f"{path}.{name}")
                              for name, member in item.items()}
            else:
                state[key] = encoder.encode(item, f"{path}.{key}")
        return {"class": class_name(type(value)), "state": state}

    def decode(self, node, decoder, path):
        torch = _import_torch()
        cls = decoder.resolver.resolve(node["class"], "torch.module", path)
        module = cls.__new__(cls)
        torch.nn.Module.__init__(module)
        decoder.remember(node, module)
        state = decoder.decode(node["state"], path)
        if not isinstance(state, dict):
            raise invalid(path, "the attributes of a module must be a dict.")
        module.__setstate__(state)
        return module


class OptimizerHandler(Handler):
    """Optimizers: class, defaults and state, over parameters written by reference.

    The parameters are written once everything else is, so that they are references to the
    parameters of the modules that hold them, and the rebuilt optimizer steps those.
    """

    tag = "torch.optimizer"
    shared = True

    def handles(self, value):
        return _is(value, "optim.Optimizer")

    def encode(self, value, encoder, path):
        if not is_nameable(type(value)):
            raise unsupported(value, path, "its class is defined inside a function")
        params = []

        def write_params():
            params.extend(
                [encoder.encode(param, f"{path}.params[{g}][{i}]")
                 for i, param in enumerate(group["params"])]
                for g, group in enumerate(value.param_groups)
            )

        encoder.defer(write_params)
        return {"class": class_name(type(value)),
                "defaults": encoder.encode(value.defaults, f"{path}.defaults"),
                "state": encoder.encode(value.state_dict(), f"{path}.state"),
                "params": params}

    def decode(self, node, decoder, path):
        cls = decoder.resolver.resolve(node["class"], "torch.optimizer", path)
        groups = decoder.decode(node["params"], path)
        defaults = decoder.decode(node["defaults"], path)
        accepted = inspect.signature(cls.__init__).parameters
        optimizer = cls([{"params": group} for group in groups],
                        **{key: value for key, value in defaults.items() if key in accepted})
        optimizer.load_state_dict(decoder.decode(node["state"], path))
        optimizer.defaults.update(defaults)
        return optimizer


def _import_torch():
    from ..utils._torch import import_torch

    return import_torch("loading this model")


HANDLERS = [TensorHandler(), DtypeHandler(), DeviceHandler(), SizeHandler(), FunctionHandler(),
            OptimizerHandler()]
#: Tried after the handlers of transformers and peft models, which are modules too.
MODULE_HANDLER = ModuleHandler()

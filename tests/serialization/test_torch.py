"""Torch values: tensors on their device, modules rebuilt from their attributes, optimizers
over the rebuilt parameters, and clear errors for missing or misshapen tensors."""

import io

import pytest

import skltab

torch = pytest.importorskip("torch")


def _network():
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=True)
    network = torch.nn.Sequential(torch.nn.Linear(3, 8), layer, torch.nn.LayerNorm(8))
    network[2].requires_grad_(False)
    network.register_buffer("scale", torch.tensor(2.0), persistent=False)
    return network.eval()


def test_a_module_is_rebuilt_with_its_weights_buffers_flags_and_functions(round_trip):
    network = _network()
    loaded = round_trip(network)
    assert type(loaded[1]) is torch.nn.TransformerEncoderLayer and not loaded.training
    assert loaded[1].activation is torch.nn.functional.gelu
    assert torch.equal(loaded.scale, network.scale) and "scale" not in loaded.state_dict()
    assert [p.requires_grad for p in loaded.parameters()] == [
        p.requires_grad for p in network.parameters()]
    inputs = torch.randn(4, 5, 3)
    with torch.no_grad():
        assert torch.equal(loaded(inputs), network(inputs))


def test_an_optimizer_steps_the_rebuilt_parameters_from_its_saved_state(round_trip):
    network = _network().train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=0.01, weight_decay=0.1)
    inputs = torch.randn(4, 5, 3)

    def step(network, optimizer):
        optimizer.zero_grad()
        network(inputs).square().mean().backward()
        optimizer.step()

    step(network, optimizer)
    # The optimizer first: its parameters must still be those of the module loaded after.
    loaded_optimizer, loaded = round_trip([optimizer, network])
    assert [id(p) for p in loaded_optimizer.param_groups[0]["params"]] == [
        id(p) for p in loaded.parameters()]
    assert loaded_optimizer.defaults == optimizer.defaults
    step(network, optimizer)
    step(loaded, loaded_optimizer)
    for saved_parameter, loaded_parameter in zip(network.parameters(), loaded.parameters()):
        assert torch.equal(saved_parameter, loaded_parameter)


def test_tensors_keep_dtype_and_parameters_stay_parameters(round_trip):
    values = [torch.arange(6, dtype=torch.bfloat16).reshape(2, 3), torch.tensor([True]),
              torch.nn.Parameter(torch.ones(2), requires_grad=False), torch.float16,
              torch.Size([2, 3]), torch.device("cpu"), torch.zeros(3)[1:]]
    loaded = round_trip(values)
    assert loaded[0].dtype == torch.bfloat16 and torch.equal(loaded[0], values[0])
    assert isinstance(loaded[2], torch.nn.Parameter) and not loaded[2].requires_grad
    assert loaded[3:6] == values[3:6] and type(loaded[4]) is torch.Size
    assert torch.equal(loaded[6], values[6])


def test_a_module_with_hooks_is_refused():
    network = torch.nn.Linear(2, 2)
    network.register_forward_hook(lambda module, inputs, output: output)
    with pytest.raises(TypeError, match="hooks"):
        skltab.save(network, io.BytesIO())


def _first_tensor(document):
    state = document["model"]["state"]["_parameters"]
    return state["weight"]


def test_a_missing_tensor_is_named(saved, rewritten):
    def rename(document):
        _first_tensor(document)["key"] = "elsewhere"

    with pytest.raises(ValueError, match="'elsewhere' is missing from tensors.safetensors"):
        skltab.load(rewritten(saved(torch.nn.Linear(2, 3)), edit=rename))


def test_a_tensor_of_another_shape_or_dtype_is_named(saved, rewritten):
    def reshape(document):
        _first_tensor(document)["shape"] = [3, 3]

    def retype(document):
        _first_tensor(document)["dtype"] = "float64"

    buffer = saved(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match=r"'model.weight' has shape \(3, 2\), where the model "
                                         r"expects \(3, 3\)"):
        skltab.load(rewritten(buffer, edit=reshape))
    with pytest.raises(ValueError, match="holds torch.float32, where the model expects "
                                         "float64"):
        skltab.load(rewritten(buffer, edit=retype))


def test_the_tensors_file_missing_is_reported(saved, rewritten):
    buffer = rewritten(saved(torch.nn.Linear(2, 3)), members={"tensors.safetensors": None})
    with pytest.raises(ValueError, match="'model.weight' is missing from tensors.safetensors"):
        skltab.load(buffer)


def test_a_reference_to_nothing_or_to_itself_is_reported(saved, rewritten):
    def dangling(document):
        document["model"]["state"]["_parameters"]["bias"] = {"$ref": 999}

    def itself(document):
        document["model"] = {"$type": "tuple", "$id": 0, "items": [{"$ref": 0}]}

    buffer = saved(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="refers to #999, which the file does not hold"):
        skltab.load(rewritten(buffer, edit=dangling))
    with pytest.raises(ValueError, match="#0 refers to itself"):
        skltab.load(rewritten(buffer, edit=itself))

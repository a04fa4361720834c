"""Settings shared by every test."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """Gradient boosting on the tests' tiny tables runs fastest on one thread, and OpenMP
    threads that wait for a busy core make it many times slower on a shared CI machine."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module: tiny forward passes are slowest with threads that wait
    for busy cores."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def pretrained_folder(tmp_path_factory):
    """A tiny GPT-2 and its fast tokenizer saved as a pretrained model would be."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from transformers import PreTrainedTokenizerFast

    from skltab.llm._model import build_model, check_model_config, train_tokenizer

    corpus = ["size is ", " shade is ", " kind is ", "light", "dark", "big", "small", ",",
              "the quick brown fox jumps over the lazy dog"] * 20
    backend = train_tokenizer(corpus, 320)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|endoftext|>",
                                        eos_token="<|endoftext|>")
    torch.manual_seed(0)
    model = build_model(check_model_config({"n_layer": 1, "n_embd": 32, "n_head": 2}),
                        backend.get_vocab_size(), 128, 0)
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)

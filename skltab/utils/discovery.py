"""Find synthesizers by name, for the command line and the benchmarks."""

import importlib

_SYNTHESIZERS = {
    "diffusion": "skltab.diffusion:MaskedDiffusionSynthesizer",
    "fastgen": "skltab.fastgen:FastGenSynthesizer",
    "independent": "skltab.independent:IndependentSynthesizer",
    "predllm": "skltab.llm:PredLLMSynthesizer",
    "reward_tuned": "skltab.reward:RewardTunedSynthesizer",
    "sdv": "skltab.integrations.sdv:SDVSynthesizer",
}


def synthesizer_names():
    """Return the short names that :func:`get_synthesizer_class` accepts."""
    return sorted(_SYNTHESIZERS)


def get_synthesizer_class(name):
    """Return the synthesizer class called ``name``.

    Parameters
    ----------
    name : str
        A short name from :func:`synthesizer_names`, or ``"package.module:ClassName"``.

    Returns
    -------
    type
        The synthesizer class.

    Raises
    ------
    ValueError
        If no synthesizer has that name.
    """
    path = _SYNTHESIZERS.get(name, name)
    if ":" not in path:
        raise ValueError(
            f"Unknown synthesizer {name!r}; choose one of {synthesizer_names()} or give "
            "'package.module:ClassName'."
        )
    module_name, class_name = path.split(":", 1)
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except (ModuleNotFoundError, AttributeError) as exc:
        raise ValueError(f"Cannot load the synthesizer {name!r}: {exc}") from exc

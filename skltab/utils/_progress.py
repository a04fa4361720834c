"""Progress bars for ``verbose >= 1``."""

from tqdm.auto import tqdm


def progress_bar(total, verbose, description):
    """Return a tqdm bar that shows only when ``verbose >= 1``."""
    return tqdm(total=total, disable=verbose < 1, desc=description, leave=False)

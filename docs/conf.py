"""Sphinx configuration of the skltab documentation.

Build with ``make -C docs html`` or ``python -m sphinx -b html docs docs/_build/html``.
``make -C docs html-noplot`` skips running the examples. Set ``SKLTAB_DOCS_OFFLINE=1`` on a
machine without network access: links to other projects' documentation (intersphinx) are then
not fetched.
"""

import os
import re
from datetime import date

import skltab

project = "skltab"
author = "The skltab developers"
copyright = f"{date.today().year}, {author}"
version = skltab.__version__
release = skltab.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "obj"

# -- autodoc / autosummary / numpydoc -------------------------------------------------------
autosummary_generate = True
# Members inherited from skltab's classes are documented on each class's page; those of
# scikit-learn's base classes (get_params, Pipeline.fit, ...) are documented by scikit-learn.
autodoc_default_options = {
    "members": True,
    "inherited-members": "BaseEstimator,CallbackSupportMixin,_MetadataRequester,Pipeline,object",
}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_ignore = {"of", "or", "shape", "default", "optional", "instance", "object"}
numpydoc_xref_aliases = {
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "ndarray": "numpy.ndarray",
    "RandomState": "numpy.random.RandomState",
    "TableMetadata": "skltab.metadata.TableMetadata",
    "ColumnMetadata": "skltab.metadata.ColumnMetadata",
    "TableEncoder": "skltab.metadata.TableEncoder",
    "EncodedTable": "skltab.metadata.EncodedTable",
    "InputFormat": "skltab.base.InputFormat",
    "SynthesisPipeline": "skltab.pipeline.SynthesisPipeline",
}

# -- cross-links to other projects ---------------------------------------------------------
intersphinx_mapping = {}
if not os.environ.get("SKLTAB_DOCS_OFFLINE"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable", None),
    }
intersphinx_timeout = 10
# Parameter types link to Python's, NumPy's and pandas' documentation, which needs intersphinx.
numpydoc_xref_param_type = bool(intersphinx_mapping)

# -- example gallery -----------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "doc_module": ("skltab",),
    "reference_url": {"skltab": None},
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    # An example that raises fails the build: the gallery doubles as a test of the examples.
    "abort_on_example_error": True,
}

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skltab {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out the ``set_*_request`` methods that scikit-learn generates for every class."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)

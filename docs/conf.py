"""Sphinx configuration of the skaae documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (the docs
extra installs what it needs); the gallery runs every example in
``docs/examples``.
"""

import os

import matplotlib

import skaae

# Examples draw off-screen.
matplotlib.use("Agg")
# Gallery fits on a shared machine: one torch thread per core is plenty, and
# more than the cores would thrash.
os.environ.setdefault("OMP_NUM_THREADS", str(min(os.cpu_count() or 1, 2)))

project = "skaae"
author = "The skaae developers"
copyright = "2026, the skaae developers"
release = version = skaae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "examples/README.rst"]
# The benchmark pages link to their own data files (json, png).
suppress_warnings = ["myst.xref_missing"]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "show_memory": False,
    # Print what the examples print, not the repr of their last expressions.
    "capture_repr": (),
    # "Examples using this class" sections in the API reference.
    "doc_module": ("skaae",),
    "backreferences_dir": "generated/backreferences",
}

html_theme = "pydata_sphinx_theme"
html_title = f"skaae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []

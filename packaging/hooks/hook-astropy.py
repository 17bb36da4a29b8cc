"""astropy for the AlertView bundle, instead of pyinstaller-hooks-contrib's hook.

That hook imports every astropy submodule to list them; with pytest installed (a
development venv) astropy.visualization.wcsaxes then raises pytest's Skipped, which
stops the build. Here the test suites and wcsaxes (matplotlib, not used) are left out
before anything is imported; the rest is kept because astropy registers I/O formats,
units and frames by importing modules by name.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules, copy_metadata


def _wanted(name: str) -> bool:
    parts = name.split(".")
    return not ("tests" in parts or "conftest" in parts or name.startswith(LEFT_OUT))


LEFT_OUT = ("astropy.visualization.wcsaxes",)

hiddenimports = collect_submodules("astropy", filter=_wanted)
hiddenimports += ["numpy.lib.recfunctions"]
datas = collect_data_files("astropy", excludes=["**/tests/**", "**/wcsaxes/**"])
# ply's generated parser tables are .py files read as data (units and coordinate formats).
datas += [
    (path, target)
    for path, target in collect_data_files("astropy", include_py_files=True)
    if path.endswith(("_parsetab.py", "_lextab.py"))
]
datas += copy_metadata("astropy") + copy_metadata("numpy")

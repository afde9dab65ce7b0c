"""A Jupyter kernel for the tests that execute notebooks (tests/test_tour.py,
tests/test_notebook.py)."""

from __future__ import annotations

import sys
from pathlib import Path


def kernel_manager(folder: Path):
    """A manager of the kernel "python3" that runs this very interpreter: a kernel spec
    written for sys.executable into ``folder``, found before any other "python3" (a user's own
    kernel spec may name another Python, without this package)."""
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    write_kernel_spec(folder / "python3")
    specs = KernelSpecManager(kernel_dirs=[str(folder)], ensure_native_kernel=False)
    assert specs.get_kernel_spec("python3").argv[0] == sys.executable
    return KernelManager(kernel_name="python3", kernel_spec_manager=specs)

"""The compiled part of the error log scanner; everything else about the package is in pyproject.toml.

The extension is optional: where it cannot be built (no C compiler or no Python headers), the
package installs without it and the scanner reads every block in Python, with the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "fix502.errorlog._blockscan",
            ["src/fix502/errorlog/_blockscan.c"],
            extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra"],
            optional=True,
        )
    ]
)

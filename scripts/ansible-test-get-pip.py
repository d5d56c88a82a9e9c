"""Stands in for the get-pip.py that ansible-test downloads to put pip in the venvs it makes.

ansible-test fetches that script from a host this machine cannot reach; this one does the same job
with what Python ships (ensurepip), then installs the pip release ansible-test asked for from the
package index. It is run with get-pip's arguments: pip options, then packages such as pip==24.2.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *arguments])

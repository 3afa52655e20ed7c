"""Stands in for pip's get-pip.py bootstrap script, which ansible-test downloads from a host
this machine cannot reach. Installs the pip that Python bundles (ensurepip) into the running
environment, then lets that pip install what ansible-test asked for (its pinned pip) from PyPI.
"""

import ensurepip
import os
import subprocess
import sys

# get-pip.py's own flags; plain pip does not know them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# ensurepip points PIP_CONFIG_FILE at /dev/null in this process; the real install needs the
# machine's pip configuration (its CA bundle, for one).
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + arguments, env=environment))

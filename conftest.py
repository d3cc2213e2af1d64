"""Every pytest run, the chapters under nbval included: the fast profile, so every training run takes seconds.

The notebooks' kernels inherit this process's environment. The variable is set before any
kernel starts; a value given on the command line wins.
"""

import os

os.environ.setdefault("YOLO_TRAINING_PROFILE", "fast")

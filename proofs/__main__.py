"""python -m proofs [NAME ...]"""
import sys

from . import main

sys.exit(main())

"""Builds the deployable stack: the SAM template, one artifact per flow, and the shared layer.

`python -m infra.build --out build` (what `make package` runs) is the entry point; see `build.py`.
"""

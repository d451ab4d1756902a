"""Tests of the packaging: the template, the function artifacts and the layer."""

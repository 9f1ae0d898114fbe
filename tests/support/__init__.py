"""Helpers the tests share: peers, fault injection, subprocess and CLI runners, SSE wire forms.

Imported as ``support.<module>`` (tests/conftest.py puts tests/ on ``sys.path``).
"""

"""Helpers at pyzmq's ``zmq.utils`` paths: jsonapi, strtypes, interop, z85, monitor, win32.

Each submodule is imported on its own (``from purezmq.utils import z85``), as in pyzmq,
whose ``zmq.utils`` package imports nothing by itself either.
"""

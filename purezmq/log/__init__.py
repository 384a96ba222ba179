"""Logging over ZeroMQ: ``purezmq.log.handlers.PUBHandler`` and ``TopicLogger``."""

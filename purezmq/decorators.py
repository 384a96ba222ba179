"""``@context()`` and ``@socket(...)``: give a function a Context or socket for one call.

The object is created when the decorated function is called and closed when it returns
(or raises), as with a ``with`` block::

    @context()
    @socket(zmq.PUSH)
    def work(ctx, push):
        ...

Argument rules (pyzmq's):

* A first positional argument that is a str, or ``name="..."``, is the keyword under
  which the object is passed; without one it is appended to the positional arguments.
  Passing that keyword at call time too is a ``TypeError``.
* Every other argument goes to ``Context(...)`` or ``ctx.socket(...)``.
* ``@socket`` finds its Context at call time: the keyword argument named by
  ``context_name`` (default ``"context"``) if it holds a Context, else the first
  positional argument that is a Context, else ``Context.instance()``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar

from .sugar import Context

_F = TypeVar("_F", bound=Callable[..., Any])


def _split_name(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Optional[str], tuple[Any, ...], dict[str, Any]]:
    """(keyword name or None, the arguments left for the factory)."""
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("name"), str):
        return kwargs.pop("name"), args, kwargs
    if args and isinstance(args[0], str):
        return args[0], args[1:], kwargs
    return None, args, kwargs


def _decorate(
    name: Optional[str], factory: Callable[[tuple[Any, ...], dict[str, Any]], Any]
) -> Callable[[_F], _F]:
    """A decorator that calls the function inside ``with factory(args, kwargs) as obj``."""

    def decorator(func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if name is not None and name in kwargs:
                raise TypeError(f"{func.__name__}() got multiple values for argument '{name}'")
            with factory(args, kwargs) as obj:
                if name is None:
                    return func(*args, obj, **kwargs)
                return func(*args, **{**kwargs, name: obj})

        return wrapper  # type: ignore[return-value]

    return decorator


def context(*args: Any, **kwargs: Any) -> Callable[[_F], _F]:
    """Decorator: the function gets a new ``Context(*args, **kwargs)``, terminated after."""
    name, ctx_args, ctx_kwargs = _split_name(args, kwargs)
    return _decorate(name, lambda _a, _k: Context(*ctx_args, **ctx_kwargs))


def socket(*args: Any, **kwargs: Any) -> Callable[[_F], _F]:
    """Decorator: the function gets ``ctx.socket(*args, **kwargs)``, closed after.

    ``context_name`` (keyword only, default ``"context"``) names the call argument that
    may carry the Context to use.
    """
    name, sock_args, sock_kwargs = _split_name(args, kwargs)
    context_name = sock_kwargs.pop("context_name", "context")

    def make(call_args: tuple[Any, ...], call_kwargs: dict[str, Any]) -> Any:
        ctx = call_kwargs.get(context_name)
        if not isinstance(ctx, Context):
            ctx = next((a for a in call_args if isinstance(a, Context)), None)
        if ctx is None:
            ctx = Context.instance()
        return ctx.socket(*sock_args, **sock_kwargs)

    return _decorate(name, make)


__all__ = ["context", "socket"]

"""notify's handlers, ``(deps, message...) -> result``: learning from events (``learning``),
the timers (``ticks``), questions (``queries``) and the demo clock (``demo_clock``)."""

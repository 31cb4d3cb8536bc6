"""notify's rules, pure and typed: the watch (``watch``), the notifications an event asks for
(``messages``), the ladder (``ladder``), who is told what (``notices``, ``templates``) and
how a notification is delivered (``delivery``)."""

"""notify's rules, pure and typed: the watch (``watch``), the ladder (``ladder``), who is
told what (``notices``, ``templates``) and how a notification is delivered (``delivery``)."""

"""The workbench's domain: the people who work at a hotline and how they sign in.

Pure Python, typed (mypy strict), no nameko, pymongo or marshmallow:

* ``people``: users, their roles and department, passwords, the screen each
  role lands on;
* ``signin``: the sign-in policy (slow-downs, session timeouts), the second
  factor (TOTP) and the signed device cookie.

A user and a session are stored as documents (``services.console.adapters.people``);
the rules here read them as mappings.
"""

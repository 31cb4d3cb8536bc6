"""``hotline keys new NAME ...``: a signing key pair for each principal (shared/platform/principals.py).

Prints, for each name, the private key (that principal's ``SERVICE_KEY``, for its
process alone) and the public key; then the ``SERVICE_PUBLIC_KEYS`` line every
process needs. While rotating, put the old and the new public key of a name side
by side (``intake=OLD,NEW``), give the service its new ``SERVICE_KEY``, then drop the
old one (docs/security.md)::

    hotline keys new intake routing followup notify insight console cli
"""
import click


@click.group("keys")
def keys():
    """Signing keys of the services and the CLI."""


@keys.command("new")
@click.argument("names", nargs=-1, required=True)
def new(names):
    """Print a new key pair for each NAME (a service, console or cli)."""
    from shared.platform.principals import PRINCIPALS, new_key_pair

    unknown = [n for n in names if n not in PRINCIPALS]
    if unknown:
        raise click.BadParameter(f"not a principal: {', '.join(unknown)} (known: {', '.join(PRINCIPALS)})")
    public = []
    for name in names:
        private, public_key = new_key_pair()
        click.echo(f"{name.upper()}_SERVICE_KEY={private}")
        public.append(f"{name}={public_key}")
    click.echo(f"SERVICE_PUBLIC_KEYS={' '.join(public)}")

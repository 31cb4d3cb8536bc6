"""followup, as insight asks it: departments' scorecards (三率) for a period."""


def scorecards(config):
    """``scorecards(first_day, last_day)`` over followup's RPC, as insight (signed)."""
    timeout = float((config.get("INSIGHT") or {}).get("scorecard_timeout", 3))

    def ask(start, end):
        from shared.platform.principals import ClusterRpcProxy, client_config

        with ClusterRpcProxy(client_config(config, "insight"), timeout=timeout) as cluster:
            return cluster.followup.scorecard(start, end)

    return ask

"""Agents' states: one document per agent, replaced only by a state at least as recent."""
from pymongo.errors import DuplicateKeyError


class AgentRepository:
    def __init__(self, database):
        self.agents = database["agents"]

    def ensure_indexes(self):
        pass

    def set_state(self, agent, state, since, by):
        """``agent`` is in ``state`` from ``since`` unless a later state is known; True if set."""
        query = {"_id": agent, "$or": [{"since": {"$lte": since}}, {"since": None}]}
        try:
            result = self.agents.update_one(query, {"$set": {"state": state, "since": since, "by": by}},
                                            upsert=True)
        except DuplicateKeyError:
            return False
        return bool(result.modified_count or result.upserted_id)

    def all(self):
        return list(self.agents.find().sort("_id", 1))

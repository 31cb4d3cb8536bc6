"""Where a case can stand, and what a citizen called back can say of it."""

ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED = (
    "assigned", "signed_for", "replied", "approved", "closed", "refused")
# A refusal waiting for the centre's (or the parent unit's) review (派单异议审核).
REFUSAL_REVIEW = "refusal_review"
# The exits (exits.py): a ruling or a hold the department proposed, waiting for the
# hotline; a case on the 挂账 list; a case raised a level (提级), waiting for routing.
UNREASONABLE_PROPOSED, HOLD_PROPOSED, ON_HOLD, RAISED = (
    "unreasonable_proposed", "hold_proposed", "on_hold", "raised")
STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED, REFUSAL_REVIEW,
          UNREASONABLE_PROPOSED, HOLD_PROPOSED, ON_HOLD, RAISED)
OPEN_STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, REFUSAL_REVIEW, UNREASONABLE_PROPOSED, HOLD_PROPOSED,
               ON_HOLD)
# Where a co-handling or passed-down assignment ends (tree.py): its part done (a co-handler
# replied, a child's reply accepted), its refusal approved, or withdrawn with its parent's part.
DONE, WITHDRAWN = "done", "withdrawn"
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
# What the callback found (已解决/部分解决/未解决/不属实); ``unreasonable`` (不合理诉求) is ruled.
RESOLVED, PARTLY_RESOLVED, UNRESOLVED, UNTRUE, UNREASONABLE = (
    "resolved", "partly_resolved", "unresolved", "untrue", "unreasonable")
OUTCOMES = (RESOLVED, PARTLY_RESOLVED, UNRESOLVED, UNTRUE)
CLOSING_OUTCOMES = (*OUTCOMES, UNREASONABLE)

"""Where a case can stand, and what a citizen called back can say of it."""

ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED = (
    "assigned", "signed_for", "replied", "approved", "closed", "refused")
# A refusal waiting for the centre's (or the parent unit's) review (派单异议审核).
REFUSAL_REVIEW = "refusal_review"
STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED, REFUSAL_REVIEW)
OPEN_STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, REFUSAL_REVIEW)
# Where a co-handling or passed-down assignment ends (tree.py): its part done (a co-handler
# replied, a child's reply accepted), its refusal approved, or withdrawn with its parent's part.
DONE, WITHDRAWN = "done", "withdrawn"
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")

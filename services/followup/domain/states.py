"""Where a case can stand, and what a citizen called back can say of it."""

ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED = (
    "assigned", "signed_for", "replied", "approved", "closed", "refused")
STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED, CLOSED, REFUSED)
OPEN_STATES = (ASSIGNED, SIGNED_FOR, REPLIED, APPROVED)
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
